# The broker core: instances, topics, consumer groups, CMQ queues. Included
# by broker/CMakeLists.txt, so paths are relative to this folder.
add_library(rewindmq_broker
  ${CMAKE_CURRENT_LIST_DIR}/broker.cc
  ${CMAKE_CURRENT_LIST_DIR}/cmq_queue_state.cc
  ${CMAKE_CURRENT_LIST_DIR}/cmq_queues.cc
  ${CMAKE_CURRENT_LIST_DIR}/cmq_topics.cc
  ${CMAKE_CURRENT_LIST_DIR}/core.cc
  ${CMAKE_CURRENT_LIST_DIR}/errors.cc
  ${CMAKE_CURRENT_LIST_DIR}/groups.cc
  ${CMAKE_CURRENT_LIST_DIR}/kv_codec.cc
  ${CMAKE_CURRENT_LIST_DIR}/names.cc
  ${CMAKE_CURRENT_LIST_DIR}/clients.cc
  ${CMAKE_CURRENT_LIST_DIR}/schedule.cc
  ${CMAKE_CURRENT_LIST_DIR}/watches.cc
  ${CMAKE_CURRENT_LIST_DIR}/timer_queue.cc
  ${CMAKE_CURRENT_LIST_DIR}/topics.cc)
add_library(rewindmq::broker ALIAS rewindmq_broker)
target_link_libraries(rewindmq_broker
  PUBLIC  rewindmq::storage rewindmq::base rewindmq::proto
          absl::status absl::statusor absl::strings absl::time absl::span
          absl::synchronization absl::any_invocable absl::btree
          absl::flat_hash_map absl::random_random absl::cleanup
  PRIVATE absl::str_format Threads::Threads)

# rmq_broker_test(foo_test): target and ctest name broker_foo_test.
function(rmq_broker_test name)
  rmq_cc_test(broker_${name}
    SRCS ${CMAKE_CURRENT_LIST_DIR}/${name}.cc
    DEPS rewindmq::broker rewindmq::testing ${ARGN})
endfunction()

rmq_broker_test(broker_test)
rmq_broker_test(errors_test)
rmq_broker_test(names_test)
rmq_broker_test(kv_codec_test)
rmq_broker_test(timer_queue_test)
rmq_broker_test(cmq_queue_state_test)
rmq_broker_test(topics_test)
rmq_broker_test(groups_test)
rmq_broker_test(cmq_queues_test)
rmq_broker_test(cmq_topics_test)
