/*
 * orchestrator/tfevents: events byte for byte as TensorBoard's protos lay
 * them out (the field numbers cited in tfevents.c), and the TFRecord framing.
 * The end-to-end test tensorboard.* reads whole files back with protobuf's
 * own Python parser.
 */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "crc32c.h"
#include "tfevents.h"

static void assert_bytes(const struct hp_pb *pb, const unsigned char *want, size_t len)
{
    ck_assert_int_eq(pb->failed, 0);
    ck_assert_uint_eq(pb->len, len);
    ck_assert_int_eq(memcmp(pb->data, want, len), 0);
}

static int contains(const struct hp_pb *pb, const unsigned char *part, size_t len)
{
    for (size_t i = 0; i + len <= pb->len; i++)
        if (memcmp(pb->data + i, part, len) == 0)
            return 1;
    return 0;
}

static uint32_t u32_at(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

START_TEST(test_version_event_is_wall_time_and_brain_event_2)
{
    struct hp_pb event;
    hp_pb_init(&event);
    tfevents_version_event(&event, 1.0);
    /* wall_time = 1 (double), file_version = 3 (string). */
    static const unsigned char want[] = {0x09, 0,    0,   0,   0,   0,   0,   0xf0,
                                         0x3f, 0x1a, 13,  'b', 'r', 'a', 'i', 'n',
                                         '.',  'E',  'v', 'e', 'n', 't', ':', '2'};
    assert_bytes(&event, want, sizeof want);
    hp_pb_free(&event);
}
END_TEST

START_TEST(test_frame_is_length_masked_crcs_and_data)
{
    struct hp_pb event, out;
    hp_pb_init(&event);
    hp_pb_init(&out);
    tfevents_version_event(&event, 1.0);
    tfevents_frame(&out, &event);
    ck_assert_uint_eq(out.len, 8 + 4 + event.len + 4);
    for (int i = 0; i < 8; i++)
        ck_assert_uint_eq(out.data[i], i == 0 ? event.len : 0);
    ck_assert_uint_eq(u32_at(out.data + 8), hp_crc32c_mask(hp_crc32c(0, out.data, 8)));
    ck_assert_int_eq(memcmp(out.data + 12, event.data, event.len), 0);
    ck_assert_uint_eq(u32_at(out.data + 12 + event.len),
                      hp_crc32c_mask(hp_crc32c(0, event.data, event.len)));
    hp_pb_free(&event);
    hp_pb_free(&out);
}
END_TEST

START_TEST(test_scalar_event_holds_tag_simple_value_and_step)
{
    struct hp_pb summary, event;
    hp_pb_init(&summary);
    hp_pb_init(&event);
    tfevents_scalar(&summary, "acc", 0.5f);
    tfevents_summary_event(&event, 0.0, 3, &summary);
    /* wall_time 0, step = 2 (3), summary = 5 { value = 1 { tag = 1 "acc",
     * simple_value = 2 (float 0.5) } }. */
    static const unsigned char want[] = {0x09, 0,   0,    0,  0,    0,  0,    0, 0,
                                         0x10, 3,   0x2a, 12, 0x0a, 10, 0x0a, 3, 'a',
                                         'c',  'c', 0x15, 0,  0,    0,  0x3f};
    assert_bytes(&event, want, sizeof want);
    hp_pb_free(&summary);
    hp_pb_free(&event);
}
END_TEST

START_TEST(test_hparams_value_carries_plugin_data_and_an_empty_float_tensor)
{
    struct hp_pb plugin, summary;
    hp_pb_init(&plugin);
    hp_pb_init(&summary);
    tfevents_session_end(&plugin, TFEVENTS_STATUS_FAILURE, 0.0);
    /* HParamsPluginData { session_end_info = 4 { status = 1: 2 } } */
    static const unsigned char end[] = {0x22, 0x02, 0x08, 0x02};
    assert_bytes(&plugin, end, sizeof end);
    tfevents_hparams_value(&summary, TFEVENTS_SESSION_END_TAG, &plugin);
    /* tensor = 8 { dtype = 1: DT_FLOAT, tensor_shape = 2 { dim = 2 {} } }:
     * the 6-byte null tensor of TensorBoard's hparams summaries. */
    static const unsigned char tensor[] = {0x42, 0x06, 0x08, 0x01,
                                           0x12, 0x02, 0x12, 0x00};
    ck_assert(contains(&summary, tensor, sizeof tensor));
    /* metadata = 9 { plugin_data = 1 { plugin_name = 1 "hparams",
     * content = 2 <the plugin data> } } */
    static const unsigned char metadata[] = {0x4a, 0x11, 0x0a, 0x0f, 0x0a, 0x07, 'h',
                                             'p',  'a',  'r',  'a',  'm',  's',  0x12,
                                             0x04, 0x22, 0x02, 0x08, 0x02};
    ck_assert(contains(&summary, metadata, sizeof metadata));
    hp_pb_free(&plugin);
    hp_pb_free(&summary);
}
END_TEST

START_TEST(test_session_start_maps_params_to_struct_values_in_order)
{
    json_t *params = json_pack("{s:s, s:b, s:n}", "opt", "adam", "bn", 1, "none");
    struct hp_pb plugin;
    hp_pb_init(&plugin);
    tfevents_session_start(&plugin, params, "c0001", 0.0);
    /* session_start_info = 3 { hparams = 1 {key "opt", value {string_value = 3}},
     * hparams {key "bn", value {bool_value = 4: 1}}, hparams {key "none",
     * value {null_value = 1: 0}}, group_name = 4 "c0001" } */
    static const unsigned char want[] = {
        0x1a, 0x2c, 0x0a, 0x0d, 0x0a, 0x03, 'o',  'p',  't',  0x12, 0x06, 0x1a,
        0x04, 'a',  'd',  'a',  'm',  0x0a, 0x08, 0x0a, 0x02, 'b',  'n',  0x12,
        0x02, 0x20, 0x01, 0x0a, 0x0a, 0x0a, 0x04, 'n',  'o',  'n',  'e',  0x12,
        0x02, 0x08, 0x00, 0x22, 0x05, 'c',  '0',  '0',  '0',  '1'};
    assert_bytes(&plugin, want, sizeof want);
    hp_pb_free(&plugin);
    json_decref(params);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tfevents");
    TCase *tc = tcase_create("tfevents");
    tcase_add_test(tc, test_version_event_is_wall_time_and_brain_event_2);
    tcase_add_test(tc, test_frame_is_length_masked_crcs_and_data);
    tcase_add_test(tc, test_scalar_event_holds_tag_simple_value_and_step);
    tcase_add_test(tc, test_hparams_value_carries_plugin_data_and_an_empty_float_tensor);
    tcase_add_test(tc, test_session_start_maps_params_to_struct_values_in_order);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
