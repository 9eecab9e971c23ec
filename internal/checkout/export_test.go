package checkout

// FlushAccessLog waits until the access log lines of the requests answered so far are
// written, so a test can read them.
func FlushAccessLog(s *Server) { s.access.flush() }
