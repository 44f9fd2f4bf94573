from portal_common.digests import digest_matches, keyed_digest

KEY = "k" * 40


def test_a_digest_depends_on_the_key_the_purpose_and_the_value():
    base = keyed_digest(KEY, "declarant-code", "ABC123")
    assert len(base) == 64
    assert keyed_digest(KEY, "declarant-code", "ABC123") == base
    assert keyed_digest("x" * 40, "declarant-code", "ABC123") != base
    assert keyed_digest(KEY, "other", "ABC123") != base
    assert keyed_digest(KEY, "declarant-code", "ABC124") != base


def test_a_digest_matches_only_the_same_value_and_never_a_missing_digest():
    digest = keyed_digest(KEY, "declarant-code", "ABC123")
    assert digest_matches(KEY, "declarant-code", "ABC123", digest)
    assert not digest_matches(KEY, "declarant-code", "abc123", digest)
    assert not digest_matches(KEY, "declarant-code", "ABC123", None)
    assert not digest_matches(KEY, "declarant-code", "ABC123", "")
