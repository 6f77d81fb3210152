# The space-file loader and the strategies. check_space also reads every
# folder under tests/invalid_spaces (a space.json and its expected.txt).
hp_add_check_test(check_space SOURCES unit/check_space.c LIBS hp_orchestrator)
hp_add_check_test(check_grid SOURCES unit/check_grid.c LIBS hp_strategies)
hp_add_check_test(check_random SOURCES unit/check_random.c LIBS hp_strategies)
