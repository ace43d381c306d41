# init.mk — the config templates `healctl init` writes from (docs/templates/*.conf),
# compiled into healctl as byte arrays in $(BUILD)/gen/init_templates.h (od and
# sed, POSIX, as mk/diagnoser.mk), so init needs no installed file. `make install`
# also copies them to $(PREFIX)/share/heal/templates for reading.

INIT_TEMPLATES   := $(sort $(wildcard docs/templates/*.conf))
INIT_TEMPLATES_H := $(BUILD)/gen/init_templates.h

$(INIT_TEMPLATES_H): $(INIT_TEMPLATES) mk/init.mk
	@mkdir -p $(dir $@)
	{ echo '/* generated from docs/templates by mk/init.mk */'; \
	  for f in $(INIT_TEMPLATES); do n=$$(basename $$f .conf); \
	    echo "static const char s_template_$$n [] = {"; \
	    od -An -v -tu1 < $$f | sed -e 's/^[ ]*//' -e 's/[ ][ ]*/, /g' -e '/^$$/d' -e 's/$$/,/'; \
	    echo '0 };'; done; \
	  echo 'static const init_template_t s_templates [] = {'; \
	  for f in $(INIT_TEMPLATES); do n=$$(basename $$f .conf); \
	    echo "    { \"$$n\", s_template_$$n },"; done; \
	  echo '    { NULL, NULL }'; echo '};'; } > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/healctl/init.o: $(INIT_TEMPLATES_H)
$(BUILD)/obj/healctl/init.o: override CFLAGS += -I$(BUILD)/gen
check-macos: $(INIT_TEMPLATES_H)
