# Bus fixtures: `make fixtures` regenerates schemas/fixtures/*.msgpack with our
# own encoder (tests/tools/gen_fixtures.c). Commit the result; test_event fails
# when the encoder's output no longer matches them.

.PHONY: fixtures
fixtures: $(BUILD)/tools/gen_fixtures
	@mkdir -p schemas/fixtures
	$(BUILD)/tools/gen_fixtures schemas/fixtures
