hp_add_check_test(check_pcg32 SOURCES unit/check_pcg32.c LIBS hp_common)
hp_add_check_test(check_metric_line SOURCES unit/check_metric_line.c LIBS hp_common)
hp_add_check_test(check_path SOURCES unit/check_path.c LIBS hp_common)
hp_add_check_test(check_protobuf SOURCES unit/check_protobuf.c LIBS hp_common)
