# didban_module(NAME <stage> DEPS <targets...>)
#
# One stage of the dataflow = one folder under src/ = one static library `didban_<stage>`.
# Sources are the folder's *.cc files except *_test.cc; tests (`*_test.cc`, beside the code) become one GoogleTest
# executable `<stage>_test` registered with CTest. A stage lists only itself, include/didban and stages upstream of it.
function(didban_module)
  cmake_parse_arguments(M "" "NAME" "DEPS" ${ARGN})
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  file(GLOB_RECURSE tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc)
  if(tests)
    list(REMOVE_ITEM srcs ${tests})
  endif()
  set(lib didban_${M_NAME})
  if(NOT srcs)  # a stage not written yet: headers only
    add_library(${lib} INTERFACE)
    target_include_directories(${lib} INTERFACE ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${lib} INTERFACE ${M_DEPS})
    return()
  endif()
  add_library(${lib} STATIC ${srcs})
  target_include_directories(${lib} PUBLIC ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${lib} PUBLIC ${M_DEPS} PRIVATE didban_warnings)
  if(DIDBAN_BUILD_TESTS AND tests)
    add_executable(${M_NAME}_test ${tests})
    target_link_libraries(${M_NAME}_test PRIVATE ${lib} didban_testing GTest::gtest GTest::gmock GTest::gtest_main
                          ${OpenCV_LIBS} didban_warnings)
    gtest_discover_tests(${M_NAME}_test DISCOVERY_TIMEOUT 60 PROPERTIES LABELS ${M_NAME})
  endif()
endfunction()
