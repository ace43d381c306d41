# make check-macos: compile every C file for aarch64-macos and x86_64-macos with
# zig cc (no link), fetching zig 0.11 from npm when absent. See scripts/check-macos.sh
# and docs/supervisors.md. The build dependencies (whose headers are staged) are
# installed first when missing; generated headers (e.g. the diagnoser's prompt,
# mk/diagnoser.mk) are made first and found through $(BUILD)/gen.
check-macos: $(DIAG_PROMPT_H)
	HEAL_DEPS=build sh scripts/deps.sh
	OUT=build-macos GEN_DIR=$(BUILD)/gen sh scripts/check-macos.sh
