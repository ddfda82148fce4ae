// coronet::net's error category.

#include "coronet/net/error.hpp"

namespace coronet::net {

namespace {
class category final : public std::error_category {
  public:
    const char* name() const noexcept override { return "coronet.net"; }
    std::string message(int e) const override {
        switch (static_cast<errc>(e)) {
            case errc::eof:
                return "end of stream";
            case errc::frame_too_large:
                return "frame or line larger than the maximum";
            case errc::not_connected:
                return "stream not open";
            case errc::truncated:
                return "end of stream inside a frame";
            case errc::incompatible_peer:
                return "the peer is a node of another wire version";
            case errc::tls_refused:
                return "the TLS handshake with the node failed (a certificate refused, or TLS on "
                       "one side only)";
            case errc::secret_refused:
                return "the node does not share this node's cluster secret (or one side has "
                       "none)";
            case errc::write_interrupted:
                return "an earlier write was interrupted part-way; nothing more can be written";
        }
        return "unknown coronet.net error";
    }
};
}  // namespace

const std::error_category& net_category() noexcept {
    static const category c;
    return c;
}

}  // namespace coronet::net
