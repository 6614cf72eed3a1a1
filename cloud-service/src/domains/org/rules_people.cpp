#include "rules_people.hpp"

#include "rules.hpp"

namespace spotter::cloud::org {
namespace {

// U+00C0 .. U+00FF folded: "" keeps the character as it is.
constexpr const char* kLatin1[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",  // C0-CF
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "",  "ss", // D0-DF
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",  // E0-EF
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "",  "y",  // F0-FF
};

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

}  // namespace

std::string search_fold(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (is_space(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' '), space = false;
    if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if (c == 0xC3 && i + 1 < text.size() && (static_cast<unsigned char>(text[i + 1]) & 0xC0) == 0x80) {
      const auto second = static_cast<unsigned char>(text[i + 1]);
      const char* folded = kLatin1[second - 0x80];
      if (*folded) out.append(folded);
      else out.append(text.substr(i, 2));
      ++i;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::vector<std::string> search_keys(std::string_view full_name, std::string_view email, const std::optional<std::string>& phone,
                                     const std::optional<std::string>& document_id) {
  std::set<std::string> keys;
  const std::string name = search_fold(full_name);
  for (std::size_t at = 0; at < name.size(); ++at)
    if (at == 0 || name[at - 1] == ' ' || name[at - 1] == '-') keys.insert(name.substr(at));
  if (!email.empty()) keys.insert(search_fold(email));
  if (phone && !phone->empty()) {
    keys.insert(*phone);
    if ((*phone)[0] == '+' && phone->size() > 1) keys.insert(phone->substr(1));
  }
  if (document_id && !document_id->empty()) keys.insert(search_fold(*document_id));
  keys.erase("");
  return {keys.begin(), keys.end()};
}

std::string search_range_end(std::string_view folded_prefix) { return std::string(folded_prefix) + "\xF4\x8F\xBF\xBF"; }

SaleRefusal sale_refusal(const Seller& seller, const Buyer& buyer, const std::vector<std::string>& plan_branch_ids) {
  if (seller.admin) return SaleRefusal::none;
  if (buyer.id == seller.id) return SaleRefusal::to_themselves;
  if (buyer.role != "member") return SaleRefusal::not_a_member;
  if (!buyer.home_branch_id || !seller.branch_ids.count(*buyer.home_branch_id)) return SaleRefusal::member_elsewhere;
  bool opens_theirs = false;
  for (const auto& b : seller.branch_ids) opens_theirs = opens_theirs || plan_opens(plan_branch_ids, b);
  return opens_theirs ? SaleRefusal::none : SaleRefusal::plan_elsewhere;
}

std::string_view sale_refusal_text(SaleRefusal r) {
  switch (r) {
    case SaleRefusal::none: return "";
    case SaleRefusal::to_themselves: return "staff do not sell memberships to themselves";
    case SaleRefusal::not_a_member: return "trainers sell memberships to members only";
    case SaleRefusal::member_elsewhere: return "trainers sell to members whose home branch is one of theirs";
    case SaleRefusal::plan_elsewhere: return "trainers sell plans that open one of their branches";
  }
  return "";
}

}  // namespace spotter::cloud::org
