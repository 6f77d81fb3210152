# A real one-node Slurm cluster (tests/slurm/cluster.sh, Debian's munge,
# slurmctld, slurmd and slurm-client, which setup.sh installs): a sweep
# through sbatch equals a local one, kill -9 leaves no step, resume in a new
# allocation. It fails, never skips, when Slurm cannot start.
add_test(NAME slurm.e2e
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/slurm_e2e.sh ${PROJECT_BINARY_DIR}/bin
                 ${PROJECT_BINARY_DIR}/e2e-work/slurm.e2e)
set_tests_properties(slurm.e2e PROPERTIES TIMEOUT 300 RUN_SERIAL TRUE)
