"""A real Kubernetes control plane on this machine, for tests and local runs.

Fed by the pins in ``versions.py``; feeds the ``storeplane cluster`` CLI
(``storeplane/cli/cluster.py``) and the pytest fixture ``tests/fixtures/kube.py``.
``build`` compiles the binaries, ``runtime`` starts and stops clusters with kwokctl,
``storage`` binds PersistentVolumeClaims on a kubelet-less cluster.
"""
