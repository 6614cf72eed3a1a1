// Rules about people, without I/O: how the desk's search matches what staff type, and who
// may sell a membership to whom.
#pragma once
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace spotter::cloud::org {

// Search (GET /api/users?q=): a prefix of a name (of any of its words), an email, a phone
// or a document id. Both sides are folded: lower case, the accents of Latin letters taken
// off ("García" -> "garcia", "ß" -> "ss"), runs of spaces made one. Other characters stay.
std::string search_fold(std::string_view text);
// What a person is found by: the folded name from each of its words on, the email, the
// phone (also without its +), the document id. Distinct.
std::vector<std::string> search_keys(std::string_view full_name, std::string_view email, const std::optional<std::string>& phone,
                                     const std::optional<std::string>& document_id);
// The end of a prefix's range in byte order: every key starting with `folded_prefix` is
// below it (keys are valid UTF-8: the prefix and U+10FFFF, the highest code point).
std::string search_range_end(std::string_view folded_prefix);

// Selling a membership (POST /api/subscriptions, renew): admins sell anything to anyone; a
// trainer sells only to members whose home branch is one of theirs, only plans that open
// one of their branches, and never to themselves.
enum class SaleRefusal { none, to_themselves, not_a_member, member_elsewhere, plan_elsewhere };
struct Seller {
  bool admin = false;
  std::string id;
  std::set<std::string, std::less<>> branch_ids;  // trainer: where they work
};
struct Buyer {
  std::string id, role;
  std::optional<std::string> home_branch_id;
};
SaleRefusal sale_refusal(const Seller& seller, const Buyer& buyer, const std::vector<std::string>& plan_branch_ids);
// The refusal as the API says it (403 detail).
std::string_view sale_refusal_text(SaleRefusal r);

}  // namespace spotter::cloud::org
