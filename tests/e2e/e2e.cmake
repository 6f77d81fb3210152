# End-to-end sweeps of the real binaries.
hp_add_check_test(check_e2e_sweep SOURCES e2e/check_e2e_sweep.c LIBS PkgConfig::JANSSON
                  TIMEOUT 600)
add_dependencies(check_e2e_sweep hpsearch hpsearch-train fake_trainer)

# One ctest per invalid space: the real `hpsearch run --dry-run` must exit 2
# and print exactly the expected line. A new case is a new folder, no code.
file(GLOB invalid_cases LIST_DIRECTORIES true ${CMAKE_CURRENT_SOURCE_DIR}/invalid_spaces/*)
foreach(case_dir ${invalid_cases})
  if(IS_DIRECTORY ${case_dir})
    get_filename_component(case_name ${case_dir} NAME)
    add_test(NAME invalid_space.${case_name}
             COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e/expect_invalid_space.sh
                     $<TARGET_FILE:hpsearch> ${case_dir})
    set_tests_properties(invalid_space.${case_name} PROPERTIES TIMEOUT 30)
  endif()
endforeach()

hp_add_check_test(check_e2e_resume SOURCES e2e/check_e2e_resume.c LIBS PkgConfig::JANSSON
                  TIMEOUT 600)
add_dependencies(check_e2e_resume hpsearch hpsearch-train)

# Every process a trial starts ends with it (proctree.c), under each
# containment mechanism the machine offers.
hp_add_check_test(check_e2e_processes SOURCES e2e/check_e2e_processes.c LIBS PkgConfig::JANSSON
                  TIMEOUT 300)
add_dependencies(check_e2e_processes hpsearch fake_trainer)

# Sweep directories near PATH_MAX: refused with "path too long", or run whole.
hp_add_check_test(check_e2e_paths SOURCES e2e/check_e2e_paths.c LIBS PkgConfig::JANSSON
                  TIMEOUT 300)
add_dependencies(check_e2e_paths hpsearch hpsearch-train)

# A damaged, torn, empty or missing journal, end to end.
hp_add_check_test(check_e2e_journal SOURCES e2e/check_e2e_journal.c LIBS PkgConfig::JANSSON
                  TIMEOUT 300)
add_dependencies(check_e2e_journal hpsearch fake_trainer)

# What an unattended night promises: checkpoints outside a trial are never
# touched, failures name their cause, a full disk loses nothing.
hp_add_check_test(check_e2e_safety SOURCES e2e/check_e2e_safety.c LIBS PkgConfig::JANSSON
                  TIMEOUT 300)
add_dependencies(check_e2e_safety hpsearch fake_trainer)

# The real trainer on a full disk (a 400 KB tmpfs in a private mount
# namespace): stop before it and at it, lose nothing, resume. Skipped (77)
# where mounting is not allowed.
add_test(NAME full_disk
         COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/full_disk.sh $<TARGET_FILE:hpsearch>
                 ${CMAKE_CURRENT_BINARY_DIR}/e2e-work/full_disk)
set_tests_properties(full_disk PROPERTIES TIMEOUT 180 SKIP_RETURN_CODE 77)

# Schedulers: the same decisions at any -j and after kill -9, promotion from
# checkpoints, pruned outcomes in every output.
hp_add_check_test(check_e2e_schedule SOURCES e2e/check_e2e_schedule.c LIBS PkgConfig::JANSSON
                  TIMEOUT 600)
add_dependencies(check_e2e_schedule hpsearch fake_trainer)

# Conditional parameters: inactive ones never reach the trainer, do not
# multiply the grid, and stay consistent under tpe, asha and pbt.
hp_add_check_test(check_e2e_when SOURCES e2e/check_e2e_when.c LIBS PkgConfig::JANSSON
                  TIMEOUT 300)
add_dependencies(check_e2e_when hpsearch fake_trainer)

# Growing a sweep, max_trials, max_time and max_failures: each stops or grows
# the same sweep that a straight run gives.
hp_add_check_test(check_e2e_run_control SOURCES e2e/check_e2e_run_control.c
                  LIBS PkgConfig::JANSSON TIMEOUT 300)
add_dependencies(check_e2e_run_control hpsearch fake_trainer)

# Trainers as people write them: store_true booleans, "workdir": "trial", the
# seed-ignoring trainer's warning, provenance and what `rerun` says changed.
hp_add_check_test(check_e2e_ergonomics SOURCES e2e/check_e2e_ergonomics.c
                  LIBS PkgConfig::JANSSON TIMEOUT 300)
add_dependencies(check_e2e_ergonomics hpsearch fake_trainer)

# Results for analysis: results.csv and configs.csv columns, report --top,
# re-ranking by another metric, short numbers in tables, Pareto fronts.
hp_add_check_test(check_e2e_results SOURCES e2e/check_e2e_results.c LIBS PkgConfig::JANSSON
                  TIMEOUT 300)
add_dependencies(check_e2e_results hpsearch fake_trainer)

# Two real sweeps compared: paired on the same seeds, Welch on different
# ones, every number recomputed from results.json; the refusals.
hp_add_check_test(check_e2e_compare SOURCES e2e/check_e2e_compare.c
                  LIBS hp_orchestrator PkgConfig::JANSSON TIMEOUT 300)
add_dependencies(check_e2e_compare hpsearch fake_trainer)

# TensorBoard event files written live and by `report --format tensorboard`,
# read back with python3-protobuf (tensorboard_check.py). Skipped (77) where
# /usr/bin/python3 has no google.protobuf.
foreach(tb_case sweep failures schedule resume)
  add_test(NAME tensorboard.${tb_case}
           COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/tensorboard.sh ${tb_case}
                   $<TARGET_FILE:hpsearch> ${PROJECT_BINARY_DIR}/bin
                   ${CMAKE_CURRENT_LIST_DIR}/tensorboard_check.py
                   ${CMAKE_CURRENT_BINARY_DIR}/e2e-work/tensorboard.${tb_case})
  set_tests_properties(tensorboard.${tb_case} PROPERTIES TIMEOUT 180 SKIP_RETURN_CODE 77)
endforeach()

# The HTML report: its data from real sweeps, the refresh while a sweep runs,
# and the size and build time at 10,000 trials.
hp_add_check_test(check_e2e_report_html SOURCES e2e/check_e2e_report_html.c
                  LIBS hp_orchestrator PkgConfig::JANSSON TIMEOUT 600)
add_dependencies(check_e2e_report_html hpsearch fake_trainer)

# The HTML report in headless Chromium: every plot drew, no console errors;
# screenshots in e2e-work/report_browser/.
add_test(NAME report_browser
         COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/report_browser.sh ${PROJECT_BINARY_DIR}/bin
                 ${PROJECT_BINARY_DIR}/e2e-work/report_browser)
set_tests_properties(report_browser PROPERTIES TIMEOUT 600)

# issue 12: per-trial CPUs and GPUs (fake GPU ids), {gpu}, {cpus} and "env".
hp_add_check_test(check_e2e_resources SOURCES e2e/check_e2e_resources.c
                  LIBS PkgConfig::JANSSON TIMEOUT 300)
add_dependencies(check_e2e_resources hpsearch fake_trainer)
