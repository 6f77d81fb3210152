/*
 * common/crc32c and common/protobuf: the checksum against published test
 * vectors, and the encoder against the byte strings the protobuf encoding
 * documentation spells out.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "check_main.h"
#include "crc32c.h"
#include "protobuf.h"

START_TEST(test_crc32c_matches_the_check_value)
{
    ck_assert_uint_eq(hp_crc32c(0, "123456789", 9), 0xE3069283u);
    ck_assert_uint_eq(hp_crc32c(0, "", 0), 0);
}
END_TEST

/* RFC 3720 (iSCSI), appendix B.4: CRC-32C of 32-byte patterns. */
START_TEST(test_crc32c_matches_the_iscsi_vectors)
{
    unsigned char buf[32];
    memset(buf, 0, sizeof buf);
    ck_assert_uint_eq(hp_crc32c(0, buf, sizeof buf), 0x8A9136AAu);
    memset(buf, 0xff, sizeof buf);
    ck_assert_uint_eq(hp_crc32c(0, buf, sizeof buf), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        buf[i] = (unsigned char)i;
    ck_assert_uint_eq(hp_crc32c(0, buf, sizeof buf), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        buf[i] = (unsigned char)(31 - i);
    ck_assert_uint_eq(hp_crc32c(0, buf, sizeof buf), 0x113FDB5Cu);
}
END_TEST

START_TEST(test_crc32c_continues_over_pieces)
{
    uint32_t whole = hp_crc32c(0, "123456789", 9);
    ck_assert_uint_eq(hp_crc32c(hp_crc32c(0, "1234", 4), "56789", 5), whole);
}
END_TEST

START_TEST(test_crc32c_mask_rotates_and_adds_the_delta)
{
    /* Rotating 0 gives 0: the mask is the delta itself. */
    ck_assert_uint_eq(hp_crc32c_mask(0), 0xa282ead8u);
    /* 1 rotated right by 15 is bit 17. */
    ck_assert_uint_eq(hp_crc32c_mask(1), 0xa282ead8u + (1u << 17));
    /* Bit 15 moves to bit 0; the sum wraps modulo 2^32. */
    ck_assert_uint_eq(hp_crc32c_mask(0xffffffffu), 0xa282ead8u - 1u);
    ck_assert_uint_eq(hp_crc32c_mask(1u << 15), 0xa282ead8u + 1u);
}
END_TEST

static void assert_bytes(const struct hp_pb *pb, const unsigned char *want, size_t len)
{
    ck_assert_int_eq(pb->failed, 0);
    ck_assert_uint_eq(pb->len, len);
    ck_assert_int_eq(memcmp(pb->data, want, len), 0);
}

/* The examples of protobuf.dev/programming-guides/encoding. */
START_TEST(test_pb_encodes_a_varint_field)
{
    struct hp_pb pb;
    hp_pb_init(&pb);
    hp_pb_varint(&pb, 1, 150);
    static const unsigned char want[] = {0x08, 0x96, 0x01};
    assert_bytes(&pb, want, sizeof want);
    hp_pb_free(&pb);
}
END_TEST

START_TEST(test_pb_encodes_a_string_field)
{
    struct hp_pb pb;
    hp_pb_init(&pb);
    hp_pb_string(&pb, 2, "testing");
    static const unsigned char want[] = {0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g'};
    assert_bytes(&pb, want, sizeof want);
    hp_pb_free(&pb);
}
END_TEST

START_TEST(test_pb_encodes_a_negative_int64_in_ten_bytes)
{
    struct hp_pb pb;
    hp_pb_init(&pb);
    hp_pb_varint(&pb, 2, (uint64_t)(int64_t)-2);
    static const unsigned char want[] = {0x10, 0xfe, 0xff, 0xff, 0xff, 0xff,
                                         0xff, 0xff, 0xff, 0xff, 0x01};
    assert_bytes(&pb, want, sizeof want);
    hp_pb_free(&pb);
}
END_TEST

START_TEST(test_pb_encodes_fixed_width_numbers_little_endian)
{
    struct hp_pb pb;
    hp_pb_init(&pb);
    hp_pb_double(&pb, 1, 1.0);
    hp_pb_float(&pb, 2, -2.0f);
    static const unsigned char want[] = {0x09, 0,    0,    0, 0, 0, 0,
                                         0xf0, 0x3f, 0x15, 0, 0, 0, 0xc0};
    assert_bytes(&pb, want, sizeof want);
    hp_pb_free(&pb);
}
END_TEST

START_TEST(test_pb_nests_a_message_and_takes_large_field_numbers)
{
    struct hp_pb inner, outer;
    hp_pb_init(&inner);
    hp_pb_init(&outer);
    hp_pb_varint(&inner, 1, 150);
    hp_pb_message(&outer, 3, &inner);
    /* Field 16 needs a two-byte key: (16 << 3 | 0) = 128. */
    hp_pb_varint(&outer, 16, 1);
    static const unsigned char want[] = {0x1a, 0x03, 0x08, 0x96, 0x01, 0x80, 0x01, 0x01};
    assert_bytes(&outer, want, sizeof want);
    hp_pb_reset(&outer);
    ck_assert_uint_eq(outer.len, 0);
    hp_pb_free(&inner);
    hp_pb_free(&outer);
}
END_TEST

START_TEST(test_pb_a_failed_nested_message_fails_its_parent)
{
    struct hp_pb inner, outer;
    hp_pb_init(&inner);
    hp_pb_init(&outer);
    inner.failed = 1;
    hp_pb_message(&outer, 1, &inner);
    ck_assert_int_eq(outer.failed, 1);
    hp_pb_varint(&outer, 1, 1);
    ck_assert_uint_eq(outer.len, 0);
    hp_pb_free(&inner);
    hp_pb_free(&outer);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("protobuf");
    TCase *crc = tcase_create("crc32c");
    tcase_add_test(crc, test_crc32c_matches_the_check_value);
    tcase_add_test(crc, test_crc32c_matches_the_iscsi_vectors);
    tcase_add_test(crc, test_crc32c_continues_over_pieces);
    tcase_add_test(crc, test_crc32c_mask_rotates_and_adds_the_delta);
    suite_add_tcase(s, crc);
    TCase *pb = tcase_create("encoder");
    tcase_add_test(pb, test_pb_encodes_a_varint_field);
    tcase_add_test(pb, test_pb_encodes_a_string_field);
    tcase_add_test(pb, test_pb_encodes_a_negative_int64_in_ten_bytes);
    tcase_add_test(pb, test_pb_encodes_fixed_width_numbers_little_endian);
    tcase_add_test(pb, test_pb_nests_a_message_and_takes_large_field_numbers);
    tcase_add_test(pb, test_pb_a_failed_nested_message_fails_its_parent);
    suite_add_tcase(s, pb);
    return hp_check_run(s);
}
