# End-to-end tests of the bring-your-own-trainer example (experiments/byo-python)
# and of argv passing without a shell. Included from tests/CMakeLists.txt.
# The Python tests exit 77, reported by ctest as skipped, when /usr/bin/python3
# cannot import numpy (Debian package python3-numpy).

set(byo_work ${CMAKE_CURRENT_BINARY_DIR}/e2e-work)

add_test(NAME byo_python.sweep
         COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/byo_python.sh sweep $<TARGET_FILE:hpsearch>
                 ${PROJECT_SOURCE_DIR} ${byo_work}/byo_python.sweep)
add_test(NAME byo_python.resume
         COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/byo_python.sh resume $<TARGET_FILE:hpsearch>
                 ${PROJECT_SOURCE_DIR} ${byo_work}/byo_python.resume)
add_test(NAME byo_python.trainer
         COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/byo_python.sh trainer ${PROJECT_SOURCE_DIR}
                 ${byo_work}/byo_python.trainer)
add_test(NAME byo_python.promote
         COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/byo_python.sh promote ${PROJECT_SOURCE_DIR}
                 ${byo_work}/byo_python.promote)
set_tests_properties(byo_python.sweep byo_python.resume byo_python.trainer
                     byo_python.promote PROPERTIES
                     TIMEOUT 180 SKIP_RETURN_CODE 77)

add_test(NAME command.argv_no_shell
         COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/argv_no_shell.sh $<TARGET_FILE:hpsearch>
                 ${byo_work}/argv_no_shell)
set_tests_properties(command.argv_no_shell PROPERTIES TIMEOUT 60)
