# diagnoser.mk — the diagnoser's built-in prompt template.
#
# diagnoser/prompt.txt is compiled into heal-diagnoser as a byte array (a
# string literal would pass -Woverlength-strings' 4095-byte limit), generated
# into $(BUILD)/gen/diagnoser_prompt.h with od and sed (POSIX, also on macOS).

DIAG_PROMPT_H := $(BUILD)/gen/diagnoser_prompt.h

$(DIAG_PROMPT_H): diagnoser/prompt.txt mk/diagnoser.mk
	@mkdir -p $(dir $@)
	{ echo '/* generated from diagnoser/prompt.txt by mk/diagnoser.mk */'; \
	  echo 'static const char s_default_template [] = {'; \
	  od -An -v -tu1 < $< | sed -e 's/^[ ]*//' -e 's/[ ][ ]*/, /g' -e '/^$$/d' -e 's/$$/,/'; \
	  echo '0 };'; } > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/diagnoser/prompt.o: $(DIAG_PROMPT_H)
$(BUILD)/obj/diagnoser/prompt.o: override CFLAGS += -I$(BUILD)/gen
