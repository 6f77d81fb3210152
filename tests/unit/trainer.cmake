# The trainer's tests: Check programs for the model and the checkpoint file,
# and end-to-end runs of the real hpsearch-train binary.
hp_add_check_test(check_mlp SOURCES unit/check_mlp.c LIBS hp_trainer)
hp_add_check_test(check_checkpoint SOURCES unit/check_checkpoint.c LIBS hp_trainer)
hp_add_check_test(check_trainer_schedule SOURCES unit/check_trainer_schedule.c
                  LIBS hp_trainer)
hp_add_check_test(check_trainer_metrics SOURCES unit/check_trainer_metrics.c
                  LIBS hp_trainer)
hp_add_check_test(check_trainer_augment SOURCES unit/check_trainer_augment.c
                  LIBS hp_trainer)
hp_add_check_test(check_trainer_data SOURCES unit/check_trainer_data.c LIBS hp_trainer)
hp_add_check_test(check_trainer_csv SOURCES unit/check_trainer_csv.c LIBS hp_trainer)
hp_add_check_test(check_trainer_cache SOURCES unit/check_trainer_cache.c
                  LIBS hp_trainer)

# hpsearch-train end to end: tests/trainer/cli.sh CASE TRAINER WORKDIR.
foreach(case same_seed_identical different_seed_differs env_defaults metric_lines
             bad_value unknown_flag help diverges missing_data resume_after_sigterm
             resume_extends_run resume_refuses_mismatch early_stopping lr_schedule
             regularization_changes_results gradient_diagnostics fit_verdict
             class_imbalance augmentation csv_data csv_errors transfer io_failure)
  add_test(NAME trainer_cli_${case}
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/trainer/cli.sh ${case}
                   $<TARGET_FILE:hpsearch-train>
                   ${CMAKE_CURRENT_BINARY_DIR}/trainer-cli/${case})
  set_tests_properties(trainer_cli_${case} PROPERTIES TIMEOUT 120)
endforeach()

# Promotions (a scheduler continuing a trial with a larger budget):
# tests/trainer/promotion.sh CASE TRAINER WORKDIR.
foreach(case split_equals_straight split_twice resumed_folder_reports_checkpoints
             early_stopping_state schedule_epochs_values)
  add_test(NAME trainer_promotion_${case}
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/trainer/promotion.sh ${case}
                   $<TARGET_FILE:hpsearch-train>
                   ${CMAKE_CURRENT_BINARY_DIR}/trainer-promotion/${case})
  set_tests_properties(trainer_promotion_${case} PROPERTIES TIMEOUT 120)
endforeach()

# The data cache with the real binary on Fashion-MNIST (skipped without it):
# tests/trainer/cache.sh CASE TRAINER WORKDIR.
foreach(case same_results damaged_rebuilt where_it_lives racing_builders)
  add_test(NAME trainer_cache_${case}
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/trainer/cache.sh ${case}
                   $<TARGET_FILE:hpsearch-train>
                   ${CMAKE_CURRENT_BINARY_DIR}/trainer-cache/${case})
  set_tests_properties(trainer_cache_${case} PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
endforeach()
