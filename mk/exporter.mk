# heal-exporter: Prometheus metrics over HTTP (libmicrohttpd). Its sources are
# exporter/*.c; only it links libmicrohttpd. See docs/fleet.md.

MHD_CFLAGS = $(shell pkg-config --cflags libmicrohttpd 2>/dev/null)
MHD_LIBS   = $(shell pkg-config --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
EXP_SRC   := $(wildcard exporter/*.c)
EXPORTER  := $(BUILD)/bin/heal-exporter
BINS      += $(EXPORTER)

all: $(EXPORTER)

$(call obj,$(EXP_SRC)): CFLAGS_ALL += $(MHD_CFLAGS) -Iexporter

$(EXPORTER): $(call obj,$(EXP_SRC)) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(MHD_LIBS) $(LDLIBS_ALL)

# install copies $(BINS) (read when it runs): make sure ours is built whatever
# the order mk/*.mk were included in.
install: $(EXPORTER)
