/*
 * The per-trial CPU and GPU pools (resources.h): lowest free ids first,
 * release, exhaustion, the parallelism they allow, and the space's
 * "resources" and "env" keys.
 */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "resources.h"

static char *GPUS[] = {"0", "1", "2", "3"};

static void pool_of(struct resource_pool *pool, int cpus, int gpus, int cpt, int gpt)
{
    int ids[64];
    for (int i = 0; i < cpus; i++)
        ids[i] = cpus - 1 - i; /* any order: the pool sorts them */
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(resources_pool_init(pool, ids, cpus, GPUS, gpus, cpt, gpt, &err), 0);
}

START_TEST(test_resources_lowest_free_ids_first)
{
    struct resource_pool pool;
    pool_of(&pool, 8, 4, 2, 1);
    struct resource_grant a, b;
    ck_assert_int_eq(resources_acquire(&pool, &a), 0);
    ck_assert_int_eq(resources_acquire(&pool, &b), 0);
    char text[64];
    resources_grant_cpus_text(&a, text, sizeof text);
    ck_assert_str_eq(text, "0,1");
    resources_grant_cpus_text(&b, text, sizeof text);
    ck_assert_str_eq(text, "2,3");
    resources_grant_gpus_text(&pool, &a, text, sizeof text);
    ck_assert_str_eq(text, "0");
    resources_grant_gpus_text(&pool, &b, text, sizeof text);
    ck_assert_str_eq(text, "1");
}
END_TEST

START_TEST(test_resources_release_gives_ids_back)
{
    struct resource_pool pool;
    pool_of(&pool, 6, 3, 2, 1);
    struct resource_grant a, b, c, d;
    ck_assert_int_eq(resources_acquire(&pool, &a), 0);
    ck_assert_int_eq(resources_acquire(&pool, &b), 0);
    ck_assert_int_eq(resources_acquire(&pool, &c), 0);
    resources_release(&pool, &b);
    ck_assert_int_eq(resources_acquire(&pool, &d), 0);
    ck_assert_int_eq(d.cpu[0], 2);
    ck_assert_int_eq(d.cpu[1], 3);
    ck_assert_int_eq(d.gpu[0], 1);
}
END_TEST

START_TEST(test_resources_exhaustion_takes_nothing)
{
    struct resource_pool pool;
    pool_of(&pool, 4, 1, 1, 1);
    struct resource_grant a, b;
    ck_assert_int_eq(resources_acquire(&pool, &a), 0);
    /* CPUs are left, the only GPU is not: nothing is taken. */
    ck_assert_int_eq(resources_acquire(&pool, &b), -1);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pool.cpu_busy[i], i == 0);
    resources_release(&pool, &a);
    ck_assert_int_eq(resources_acquire(&pool, &b), 0);
    ck_assert_int_eq(b.cpu[0], 0);
}
END_TEST

START_TEST(test_resources_capacity_limits_parallelism)
{
    struct resource_pool pool;
    pool_of(&pool, 16, 0, 2, 0);
    ck_assert_int_eq(resources_pool_capacity(&pool), 8);
    pool_of(&pool, 16, 3, 2, 1);
    ck_assert_int_eq(resources_pool_capacity(&pool), 3);
    pool_of(&pool, 16, 4, 1, 2);
    ck_assert_int_eq(resources_pool_capacity(&pool), 2);
    /* As many grants as the capacity, then none. */
    struct resource_grant g;
    ck_assert_int_eq(resources_acquire(&pool, &g), 0);
    ck_assert_int_eq(resources_acquire(&pool, &g), 0);
    ck_assert_int_eq(resources_acquire(&pool, &g), -1);
}
END_TEST

START_TEST(test_resources_too_big_a_trial_is_refused)
{
    struct resource_pool pool;
    int cpus[] = {0, 1};
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(resources_pool_init(&pool, cpus, 2, GPUS, 0, 4, 0, &err), -1);
    ck_assert_str_eq(err.path, "resources.cpus");
    ck_assert_ptr_nonnull(strstr(err.message, "only 2"));
}
END_TEST

/* The same launches and ends give the same ids, whatever else happens. */
START_TEST(test_resources_assignment_is_deterministic)
{
    char first[256] = "", second[256] = "";
    for (int round = 0; round < 2; round++) {
        char *out = round ? second : first;
        struct resource_pool pool;
        pool_of(&pool, 5, 2, 2, 1);
        struct resource_grant g[3];
        ck_assert_int_eq(resources_acquire(&pool, &g[0]), 0);
        ck_assert_int_eq(resources_acquire(&pool, &g[1]), 0);
        resources_release(&pool, &g[0]);
        ck_assert_int_eq(resources_acquire(&pool, &g[2]), 0);
        for (int i = 1; i < 3; i++) {
            char cpus[32], gpus[32];
            resources_grant_cpus_text(&g[i], cpus, sizeof cpus);
            resources_grant_gpus_text(&pool, &g[i], gpus, sizeof gpus);
            strcat(out, cpus);
            strcat(out, "/");
            strcat(out, gpus);
            strcat(out, ";");
        }
    }
    ck_assert_str_eq(first, "2,3/1;0,1/0;");
    ck_assert_str_eq(second, first);
}
END_TEST

START_TEST(test_resources_grant_as_json)
{
    char *ids[] = {"3", "GPU-8f2a"};
    int cpus[] = {4, 5};
    struct resource_pool pool;
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(resources_pool_init(&pool, cpus, 2, ids, 2, 1, 2, &err), 0);
    struct resource_grant g;
    ck_assert_int_eq(resources_acquire(&pool, &g), 0);
    json_t *c = resources_grant_cpus_json(&g);
    json_t *gp = resources_grant_gpus_json(&pool, &g);
    char *ct = json_dumps(c, JSON_COMPACT);
    char *gt = json_dumps(gp, JSON_COMPACT);
    ck_assert_str_eq(ct, "[4]");
    ck_assert_str_eq(gt, "[3,\"GPU-8f2a\"]");
    free(ct);
    free(gt);
    json_decref(c);
    json_decref(gp);
}
END_TEST

START_TEST(test_resources_parses_id_lists)
{
    char *ids[8];
    ck_assert_int_eq(resources_parse_id_list(" 0, 2,,GPU-ab ", ids, 8), 3);
    ck_assert_str_eq(ids[0], "0");
    ck_assert_str_eq(ids[1], "2");
    ck_assert_str_eq(ids[2], "GPU-ab");
    for (int i = 0; i < 3; i++)
        free(ids[i]);
    ck_assert_int_eq(resources_parse_id_list("", ids, 8), 0);
    ck_assert_int_eq(resources_parse_id_list("-1", ids, 8), 0);
    ck_assert_int_eq(resources_parse_id_list("3,-1,4", ids, 8), 1);
    free(ids[0]);
}
END_TEST

static int load(const char *text, int threads, struct resources_spec *spec,
                struct hp_error *err)
{
    json_t *v = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(v);
    memset(spec, 0, sizeof *spec);
    hp_error_init(err);
    int rc = resources_load(v, "resources", threads, spec, err);
    json_decref(v);
    return rc;
}

START_TEST(test_resources_load_defaults_and_pool)
{
    struct resources_spec spec;
    struct hp_error err;
    ck_assert_int_eq(load("{}", 3, &spec, &err), 0);
    ck_assert_int_eq(spec.given, 1);
    ck_assert_int_eq(spec.cpus, 3);
    ck_assert_int_eq(spec.gpus, 0);
    resources_spec_free(&spec);
    ck_assert_int_eq(load("{\"gpus\": 1, \"gpu_ids\": [1, \"GPU-x\"]}", 1, &spec, &err),
                     0);
    ck_assert_int_eq((int)spec.gpu_count, 2);
    ck_assert_str_eq(spec.gpu_ids[0], "1");
    ck_assert_str_eq(spec.gpu_ids[1], "GPU-x");
    resources_spec_free(&spec);
    /* From CUDA_VISIBLE_DEVICES when no list is given. */
    setenv("CUDA_VISIBLE_DEVICES", "5,7", 1);
    ck_assert_int_eq(load("{\"gpus\": 2}", 1, &spec, &err), 0);
    ck_assert_int_eq((int)spec.gpu_count, 0); /* not looked for while loading */
    ck_assert_int_eq(resources_find_gpus(&spec, &err), 0);
    ck_assert_int_eq((int)spec.gpu_count, 2);
    ck_assert_str_eq(spec.gpu_ids[1], "7");
    resources_spec_free(&spec);
    ck_assert_int_eq(load("{\"gpus\": 3}", 1, &spec, &err), 0);
    ck_assert_int_eq(resources_find_gpus(&spec, &err), -1);
    ck_assert_str_eq(err.path, "resources.gpus");
    resources_spec_free(&spec);
    setenv("CUDA_VISIBLE_DEVICES", "", 1);
    ck_assert_int_eq(load("{\"gpus\": 1}", 1, &spec, &err), 0);
    ck_assert_int_eq(resources_find_gpus(&spec, &err), -1);
    ck_assert_str_eq(err.path, "resources.gpus");
    resources_spec_free(&spec);
    unsetenv("CUDA_VISIBLE_DEVICES");
}
END_TEST

START_TEST(test_resources_load_refuses_with_paths)
{
    struct resources_spec spec;
    struct hp_error err;
    ck_assert_int_eq(load("{\"cpus\": 0}", 1, &spec, &err), -1);
    ck_assert_str_eq(err.path, "resources.cpus");
    resources_spec_free(&spec);
    ck_assert_int_eq(load("{\"gpu\": 1}", 1, &spec, &err), -1);
    ck_assert_str_eq(err.path, "resources.gpu");
    resources_spec_free(&spec);
    ck_assert_int_eq(load("{\"gpus\": 1, \"gpu_ids\": [0, 0]}", 1, &spec, &err), -1);
    ck_assert_str_eq(err.path, "resources.gpu_ids[1]");
    resources_spec_free(&spec);
    ck_assert_int_eq(load("{\"gpus\": 3, \"gpu_ids\": [0, 1]}", 1, &spec, &err), -1);
    ck_assert_str_eq(err.path, "resources.gpus");
    resources_spec_free(&spec);
}
END_TEST

START_TEST(test_resources_env)
{
    struct resources_spec spec;
    memset(&spec, 0, sizeof spec);
    struct hp_error err;
    hp_error_init(&err);
    json_t *v = json_loads("{\"A\": \"1\", \"B_C\": \"x=y\"}", 0, NULL);
    ck_assert_int_eq(resources_load_env(v, "env", &spec, &err), 0);
    ck_assert_int_eq((int)spec.env_count, 2);
    ck_assert_str_eq(spec.env[0], "A=1");
    ck_assert_str_eq(spec.env[1], "B_C=x=y");
    ck_assert_ptr_null(spec.env[2]);
    resources_spec_free(&spec);
    json_decref(v);
    const char *bad[][2] = {{"{\"A\": 1}", "env.A"},
                            {"{\"A=B\": \"1\"}", "env.A=B"},
                            {"{\"HPSEARCH_SEED\": \"1\"}", "env.HPSEARCH_SEED"},
                            {"[\"A=1\"]", "env"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = json_loads(bad[i][0], JSON_DECODE_ANY, NULL);
        ck_assert_ptr_nonnull(v);
        hp_error_init(&err);
        ck_assert_int_eq(resources_load_env(v, "env", &spec, &err), -1);
        ck_assert_str_eq(err.path, bad[i][1]);
        resources_spec_free(&spec);
        json_decref(v);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("resources");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_resources_lowest_free_ids_first);
    tcase_add_test(tc, test_resources_release_gives_ids_back);
    tcase_add_test(tc, test_resources_exhaustion_takes_nothing);
    tcase_add_test(tc, test_resources_capacity_limits_parallelism);
    tcase_add_test(tc, test_resources_too_big_a_trial_is_refused);
    tcase_add_test(tc, test_resources_assignment_is_deterministic);
    tcase_add_test(tc, test_resources_grant_as_json);
    tcase_add_test(tc, test_resources_parses_id_lists);
    tcase_add_test(tc, test_resources_load_defaults_and_pool);
    tcase_add_test(tc, test_resources_load_refuses_with_paths);
    tcase_add_test(tc, test_resources_env);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
