add_executable(fake_trainer helpers/fake_trainer.c)
target_link_libraries(fake_trainer PRIVATE m)
set_target_properties(fake_trainer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)

hp_add_check_test(check_linebuf SOURCES unit/check_linebuf.c LIBS hp_orchestrator)
hp_add_check_test(check_stats SOURCES unit/check_stats.c LIBS hp_orchestrator)
hp_add_check_test(check_hypothesis SOURCES unit/check_hypothesis.c LIBS hp_orchestrator)

hp_add_check_test(check_report_data SOURCES unit/check_report_data.c LIBS hp_orchestrator)
hp_add_check_test(check_command SOURCES unit/check_command.c LIBS hp_orchestrator)
hp_add_check_test(check_trial SOURCES unit/check_trial.c LIBS hp_orchestrator)
# Choosing an executor (executor.c): local, slurm and what each refuses.
hp_add_check_test(check_executor SOURCES unit/check_executor.c LIBS hp_orchestrator
                  PkgConfig::JANSSON)
add_dependencies(check_trial fake_trainer)
hp_add_check_test(check_journal SOURCES unit/check_journal.c LIBS hp_orchestrator)
hp_add_check_test(check_state SOURCES unit/check_state.c LIBS hp_orchestrator)

# The sweep's budgets: durations, max_failures values, when launching stops.
hp_add_check_test(check_budget SOURCES unit/check_budget.c LIBS hp_orchestrator)

# issue 10: the live line's width, provenance and its SHA-256.
hp_add_check_test(check_progress SOURCES unit/check_progress.c LIBS hp_orchestrator)
hp_add_check_test(check_provenance SOURCES unit/check_provenance.c LIBS hp_orchestrator)

# Ranking, re-ranking by another metric and Pareto fronts; the journal's
# metric lines per trial.
hp_add_check_test(check_ranking SOURCES unit/check_ranking.c LIBS hp_orchestrator)
hp_add_check_test(check_metrics_scan SOURCES unit/check_metrics_scan.c LIBS hp_orchestrator)

hp_add_check_test(check_tfevents SOURCES unit/check_tfevents.c LIBS hp_orchestrator)

# issue 12: per-trial CPU and GPU pools, "resources" and "env".
hp_add_check_test(check_resources SOURCES unit/check_resources.c LIBS hp_orchestrator)
