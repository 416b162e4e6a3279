package pgstore

// PrefixOf exposes a store's prefix to the tests.
func PrefixOf(s *Store) string { return s.prefix }
