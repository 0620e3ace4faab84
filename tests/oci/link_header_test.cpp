// RFC 8288 Link headers as registries page tag lists with them.
#include "oci/link_header.h"

#include <gtest/gtest.h>

namespace ecrhelm::oci {
namespace {

TEST(NextLink, Distribution) {
  EXPECT_EQ(next_link(R"(</v2/charts/podinfo/tags/list?last=6.5.0&n=100>; rel="next")"),
            "/v2/charts/podinfo/tags/list?last=6.5.0&n=100");
}

TEST(NextLink, AbsoluteTarget) {
  EXPECT_EQ(next_link(R"(<https://r.example/v2/x/tags/list?n=2&last=b>; rel="next")"),
            "https://r.example/v2/x/tags/list?n=2&last=b");
}

TEST(NextLink, UnquotedAndCaseInsensitiveRel) {
  EXPECT_EQ(next_link("</a>; rel=next"), "/a");
  EXPECT_EQ(next_link("</a>; REL=\"NEXT\""), "/a");
  EXPECT_EQ(next_link("</a>;rel=Next"), "/a");
}

TEST(NextLink, SeveralLinks) {
  EXPECT_EQ(next_link(R"(</prev>; rel="prev", </next?a=1,2>; rel="next", </last>; rel="last")"),
            "/next?a=1,2");
  EXPECT_EQ(next_link(R"(</first>; rel="first",</n>;rel=next)"), "/n");
}

TEST(NextLink, ParamsInAnyOrderAndSpaces) {
  EXPECT_EQ(next_link(R"(</a>; type="text/html"; title="x, y; z"; rel="next")"), "/a");
  EXPECT_EQ(next_link("  <  /a  >  ;  rel  =  \"next\"  "), "/a");
  EXPECT_EQ(next_link("</a>;\trel=\"next\";\tanchor=\"#x\""), "/a");
}

TEST(NextLink, SeveralRelationTypes) {
  EXPECT_EQ(next_link(R"(</a>; rel="last next")"), "/a");
  EXPECT_EQ(next_link(R"(</a>; rel="nextpage")"), std::nullopt);
}

TEST(NextLink, OnlyTheFirstRelCounts) {
  EXPECT_EQ(next_link(R"(</a>; rel="prev"; rel="next")"), std::nullopt);
}

TEST(NextLink, NoNext) {
  EXPECT_EQ(next_link(""), std::nullopt);
  EXPECT_EQ(next_link(R"(</a>; rel="prev")"), std::nullopt);
  EXPECT_EQ(next_link("</a>"), std::nullopt);
  EXPECT_EQ(next_link(R"(<>; rel="next")"), std::nullopt);
}

TEST(NextLink, GarbageNeverThrows) {
  for (const char* h :
       {"<", ">", "<unterminated; rel=next", "rel=next", ";;;", ",,,", "\"", "</a>; rel=\"next",
        "</a> rel=next", "</a>; =next", "garbage, </b>; rel=next"}) {
    SCOPED_TRACE(h);
    EXPECT_NO_THROW(next_link(h));
  }
  EXPECT_EQ(next_link("garbage, </b>; rel=next"), "/b");
  EXPECT_EQ(next_link("\"quoted, junk\", </b>; rel=next"), "/b");
  EXPECT_EQ(next_link("</a> junk, </b>; rel=next"), "/b");
}

}  // namespace
}  // namespace ecrhelm::oci
