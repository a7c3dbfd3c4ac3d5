"""A function that exists only in the tests: what a new function is (its folder, an entry in
infra/topology.py), to prove nothing else has to name it."""
