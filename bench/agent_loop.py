"""Agent-loop benchmark: nocache vs warm vs restart, plus disk-tier load vs raw read (see README).

    .venv/bin/python bench/agent_loop.py [--steps N] [--json bench/results/agent_loop.json]
Same as `loopcache bench agent-loop`.
"""

import sys

from loopcache.cli import build_app

if __name__ == "__main__":
    build_app()(["bench", "agent-loop", *sys.argv[1:]])
