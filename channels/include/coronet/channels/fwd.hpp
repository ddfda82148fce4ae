#pragma once
/// \file fwd.hpp
/// Forward declarations of coronet::channels' public types.

namespace coronet {

template <class T>
class channel;
template <class T>
class topic;
class subscription;
struct subscribe_options;
struct subscription_stats;
struct subscription_ended;
struct topic_stats;
class channel_closed;

}  // namespace coronet
