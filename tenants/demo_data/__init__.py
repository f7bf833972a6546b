"""What the demo CPTS contain (content of `tenants.demo`): fictional people and texts on real
communes. Telephone numbers are taken from the ranges ARCEP reserves for fiction."""
