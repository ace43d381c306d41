# make torture: the bounded adversarial pass of issue 14 (kill -9 during
# cycles, control and inbound floods, hostile check targets, a second local
# user), one table of results. Under 10 minutes on 2 cores; the short form
# runs inside `make test` (tests/integration/test_torture.py).
TORTURE_REAPER := $(if $(shell command -v tini 2>/dev/null),tini -s --,)
.PHONY: torture
torture: all
	HEAL_BUILD=$(BUILD) $(TORTURE_REAPER) /usr/bin/python3 tests/torture/torture.py
