"""Build the golden networks of tests/test_golden.py (run from the repository root).

They were made on main before the construction records (issue 14) and must never be
regenerated to make a test pass: they prove that restructuring left the networks unchanged.
A deliberate change of behaviour rebuilds only the entries it changes and says why in
index.json (the field "changed").
"""
import json, numpy as np
from pathlib import Path
import memorize
from memorize import data, formats
out = Path("tests/data/golden")
cases = [
    ("relu_two_layer", {}), ("threshold_one_hidden", {}), ("relu_bubeck", {}),
    ("relu_bubeck", {"per_class": True}), ("relu_three_layer", {}),
    ("relu_sublinear", {}), ("relu_sublinear", {"depth": 12}), ("relu_sublinear", {"width": 4}),
    ("threshold_sublinear", {}),
]
X, y = data.random_separated(40, 3, delta=0.05, num_classes=3, seed=7)
np.savez(out / "data.npz", X=X, y=y)
index = []
for k, (name, opts) in enumerate(cases):
    net = memorize.build(name, X, y, seed=3, **opts)
    fn = f"{k:02d}-{name}.json"
    formats.save(net, out / fn)
    index.append({"file": fn, "construction": name, "seed": 3, "options": opts})
    print(fn, net.counts())
(out / "index.json").write_text(json.dumps(index, indent=1) + "\n")
