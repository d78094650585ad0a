# Generated documentation and the install rules (included by CMakeLists.txt).
#
# stride-gendoc (src/doc/gendoc.c, never installed) walks the command table of the CLI and reads
# `stride-ca --help`, and writes doc/man/man{1,8}/*.{1,8} and doc/bash-completion/stride in the
# build directory; the pages change whenever a command's help does.
include(GNUInstallDirs)

set(STRIDE_DOC_DIR ${CMAKE_BINARY_DIR}/doc)
add_executable(stride-gendoc src/doc/gendoc.c)
target_link_libraries(stride-gendoc PRIVATE stride_cli)
add_custom_command(OUTPUT ${STRIDE_DOC_DIR}/stamp
  COMMAND stride-gendoc ${STRIDE_DOC_DIR} $<TARGET_FILE:stride-ca>
  COMMAND ${CMAKE_COMMAND} -E touch ${STRIDE_DOC_DIR}/stamp
  DEPENDS stride-gendoc stride-ca
  COMMENT "Generating the manual pages and the bash completion"
  VERBATIM)
add_custom_target(docs ALL DEPENDS ${STRIDE_DOC_DIR}/stamp)

# The layout under the prefix (the Makefile's PREFIX, default /usr/local):
#   bin/stride, bin/stride-ca
#   share/man/man1/stride*.1, share/man/man8/stride-ca.8
#   share/bash-completion/completions/stride
#   lib/systemd/system/stride-ca.service, stride-renew@.service, stride-renew@.timer
#   lib/sysusers.d/stride.conf (the "stride" system user of stride-ca.service)
set(STRIDE_UNIT_DIR lib/systemd/system)
set(STRIDE_UNITS stride-ca.service stride-renew@.service stride-renew@.timer)
install(TARGETS stride stride-ca RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${STRIDE_DOC_DIR}/man/ DESTINATION ${CMAKE_INSTALL_MANDIR})
install(FILES ${STRIDE_DOC_DIR}/bash-completion/stride
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
# The units name the installed binaries: they are written at install time, when the prefix is
# known (cmake --install --prefix may differ from the configured one).
install(CODE "
  set(STRIDE_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
  foreach(unit ${STRIDE_UNITS})
    configure_file(\"${CMAKE_SOURCE_DIR}/dist/systemd/\${unit}.in\"
                   \"${CMAKE_BINARY_DIR}/dist/systemd/\${unit}\" @ONLY)
  endforeach()
")
foreach(unit ${STRIDE_UNITS})
  install(FILES ${CMAKE_BINARY_DIR}/dist/systemd/${unit} DESTINATION ${STRIDE_UNIT_DIR})
endforeach()
install(FILES dist/sysusers.d/stride.conf DESTINATION lib/sysusers.d)
