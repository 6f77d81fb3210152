# The space-file loader and the strategies. check_space also reads every
# folder under tests/invalid_spaces (a space.json and its expected.txt).
hp_add_check_test(check_space SOURCES unit/check_space.c LIBS hp_orchestrator)
hp_add_check_test(check_grid SOURCES unit/check_grid.c LIBS hp_strategies)
hp_add_check_test(check_random SOURCES unit/check_random.c LIBS hp_strategies)
hp_add_check_test(check_scheduler SOURCES unit/check_scheduler.c LIBS hp_strategies)
# The 200,000-value duplicate check runs on its own, under a timeout that a
# pairwise (quadratic) check cannot meet: it takes minutes there, well under
# a second n log n.
set_tests_properties(check_space PROPERTIES ENVIRONMENT CK_EXCLUDE_TAGS=large)
add_test(NAME check_space_large COMMAND check_space)
set_tests_properties(check_space_large PROPERTIES ENVIRONMENT CK_INCLUDE_TAGS=large
                     TIMEOUT 20)
# tpe: a few hundred small searches; a second or two, several under ASan.
hp_add_check_test(check_tpe SOURCES unit/check_tpe.c LIBS hp_strategies TIMEOUT 60)
# Conditional parameters: the model and how grid, random and tpe handle them.
hp_add_check_test(check_condition SOURCES unit/check_condition.c LIBS hp_orchestrator)
