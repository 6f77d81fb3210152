# The space-file loader and the strategies.
hp_add_check_test(check_grid SOURCES unit/check_grid.c LIBS hp_strategies)
hp_add_check_test(check_random SOURCES unit/check_random.c LIBS hp_strategies)
