"""`loopcache.audit` works without torch: importing every module, and running an audit, loads no torch."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys, pkgutil, importlib
import loopcache.audit as audit
for info in pkgutil.walk_packages(audit.__path__, "loopcache.audit."):
    importlib.import_module(info.name)
from loopcache.audit.simulate.synthetic import SyntheticLoop
from loopcache.audit.simulate.replay import simulate
from loopcache.audit.simulate.registry import PolicyRegistry
from loopcache.audit.pricing import PriceBook
book = PriceBook.load()
simulate((SyntheticLoop(3, 2000, 10, 10).profile(),), (book.for_model(None).price,), PolicyRegistry.default(book))
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "transformers", "sentence_transformers"))
print("HEAVY:" + ",".join(heavy))
"""


def test_audit_imports_no_torch():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("HEAVY:"), out.stdout
