# cmake -DINPUT=file -DOUTPUT=file.c -DNAME=symbol -P embed_file.cmake
# Writes OUTPUT defining `const char NAME[]` (INPUT's bytes and a NUL) and
# `const size_t NAME_len`, so a text file can be compiled into a program
# and still be edited as what it is (report_page.html: HTML, CSS and JS).
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR len "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
# Break the one long line every 16 bytes.
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUTPUT}"
  "/* Generated from ${INPUT} by embed_file.cmake: do not edit. */\n"
  "#include <stddef.h>\n"
  "const char ${NAME}[] = {\n${bytes}0x00};\n"
  "const size_t ${NAME}_len = ${len};\n")
