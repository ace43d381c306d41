# bench/peak_rss links libc only: its resident size at fork is the floor of
# every peak RSS it reports (see bench/peak_rss.c), so it must stay small.
$(BUILD)/bench/peak_rss: bench/peak_rss.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(OPT) $(WARN) $(WERROR) -o $@ $<
