"""Use cases: each public function is one transaction (load, evaluate, persist, answer)."""
