# install, uninstall, agents, agents-stop — heal's files and its own supervisors.
# See docs/supervisors.md. PREFIX (default /usr/local) and DESTDIR (staging root)
# apply to everything; the per-user service files go to the user's own folder:
#   macOS: $(LAUNCHD_DIR)      = ~/Library/LaunchAgents   (dev.heal.agent.plist, ...)
#   Linux: $(SYSTEMD_USER_DIR) = ~/.config/systemd/user   (heal-agent.service, ...)
# both under $(DESTDIR) when it is set. A rendered copy of both kinds is also kept in
# $(PREFIX)/share/heal/{launchd,systemd}/ for packagers and other users.
# SERVICES=no skips the user folder (system-wide packaging); `make install-services`
# installs only that part.

BINDIR     ?= $(PREFIX)/bin
HEAL_SHARE ?= $(PREFIX)/share/heal
MAN1DIR    ?= $(PREFIX)/share/man/man1
LAUNCHD_DIR      ?= $(HOME)/Library/LaunchAgents
SYSTEMD_USER_DIR ?= $(if $(XDG_CONFIG_HOME),$(XDG_CONFIG_HOME),$(HOME)/.config)/systemd/user
HEAL_LOGDIR      ?= $(HOME)/Library/Logs/heal
# PATH of heal's own processes (and so of every check command, unless the config's
# agent.path says otherwise).
HEAL_PATH  ?= $(BINDIR):/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
SERVICES   ?= yes
INSTALL    ?= install

HEAL_PLISTS := dev.heal.agent dev.heal.diagnoser dev.heal.notify dev.heal.exporter
HEAL_UNITS  := heal-agent.service heal-diagnoser.service heal-notify.service heal-exporter.service
HEAL_RENDER := $(BUILD)/launchd
HEAL_EXTRA_SHARE := $(wildcard docs/heal.conf.example diagnoser/prompt.txt)
HEAL_MAN    := $(wildcard docs/healctl.1)

# Fill a template: @BINDIR@ @LOGDIR@ @PATH@.
heal_render = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@LOGDIR@|$(HEAL_LOGDIR)|g' \
                  -e 's|@PATH@|$(HEAL_PATH)|g' $(1) > $(2).tmp && mv $(2).tmp $(2)

.PHONY: heal-render
heal-render:
	@mkdir -p $(HEAL_RENDER)
	@for p in $(HEAL_PLISTS); do \
	  $(call heal_render,launchd/$$p.plist.in,$(HEAL_RENDER)/$$p.plist); done
	@for u in $(HEAL_UNITS); do \
	  $(call heal_render,launchd/$$u.in,$(HEAL_RENDER)/$$u); done

install: $(BINS) heal-render
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(HEAL_SHARE)/launchd \
	  $(DESTDIR)$(HEAL_SHARE)/systemd $(DESTDIR)$(MAN1DIR)
	$(INSTALL) -m 755 $(BINS) $(DESTDIR)$(BINDIR)/
	$(if $(HEAL_EXTRA_SHARE),$(INSTALL) -m 644 $(HEAL_EXTRA_SHARE) $(DESTDIR)$(HEAL_SHARE)/)
	$(if $(HEAL_MAN),$(INSTALL) -m 644 $(HEAL_MAN) $(DESTDIR)$(MAN1DIR)/)
	$(INSTALL) -m 644 $(patsubst %,$(HEAL_RENDER)/%.plist,$(HEAL_PLISTS)) $(DESTDIR)$(HEAL_SHARE)/launchd/
	$(INSTALL) -m 644 $(patsubst %,$(HEAL_RENDER)/%,$(HEAL_UNITS)) $(DESTDIR)$(HEAL_SHARE)/systemd/
ifeq ($(SERVICES),yes)
	$(MAKE) --no-print-directory install-services
endif

# The per-user service files only. Run it as the user who will run heal: launchd
# refuses an agent plist that user does not own (after `sudo make install
# SERVICES=no`, run `make install-services` without sudo).
.PHONY: install-services
install-services: heal-render
ifeq ($(UNAME_S),Darwin)
	$(INSTALL) -d $(DESTDIR)$(LAUNCHD_DIR) $(DESTDIR)$(HEAL_LOGDIR)
	$(INSTALL) -m 644 $(patsubst %,$(HEAL_RENDER)/%.plist,$(HEAL_PLISTS)) $(DESTDIR)$(LAUNCHD_DIR)/
else
	$(INSTALL) -d $(DESTDIR)$(SYSTEMD_USER_DIR)
	$(INSTALL) -m 644 $(patsubst %,$(HEAL_RENDER)/%,$(HEAL_UNITS)) $(DESTDIR)$(SYSTEMD_USER_DIR)/
endif

# Files only: run `make agents-stop` first to unload the running services.
uninstall:
	rm -f $(patsubst $(BUILD)/bin/%,$(DESTDIR)$(BINDIR)/%,$(BINS))
	rm -f $(DESTDIR)$(MAN1DIR)/healctl.1
	rm -f $(patsubst %,$(DESTDIR)$(HEAL_SHARE)/launchd/%.plist,$(HEAL_PLISTS))
	rm -f $(patsubst %,$(DESTDIR)$(HEAL_SHARE)/systemd/%,$(HEAL_UNITS))
	rm -f $(DESTDIR)$(HEAL_SHARE)/heal.conf.example $(DESTDIR)$(HEAL_SHARE)/prompt.txt
	-rmdir $(DESTDIR)$(HEAL_SHARE)/launchd $(DESTDIR)$(HEAL_SHARE)/systemd $(DESTDIR)$(HEAL_SHARE) 2>/dev/null
ifeq ($(SERVICES),yes)
ifeq ($(UNAME_S),Darwin)
	rm -f $(patsubst %,$(DESTDIR)$(LAUNCHD_DIR)/%.plist,$(HEAL_PLISTS))
else
	rm -f $(patsubst %,$(DESTDIR)$(SYSTEMD_USER_DIR)/%,$(HEAL_UNITS))
endif
endif

# Load / unload the installed services (never under DESTDIR: they must be installed).
HEAL_AGENTS_ENV = LAUNCHD_DIR='$(LAUNCHD_DIR)' SYSTEMD_USER_DIR='$(SYSTEMD_USER_DIR)' \
                  HEAL_PLISTS='$(HEAL_PLISTS)' HEAL_UNITS='$(HEAL_UNITS)'
agents:
	$(HEAL_AGENTS_ENV) sh scripts/agents.sh start
agents-stop:
	$(HEAL_AGENTS_ENV) sh scripts/agents.sh stop
