package functions

// allTriggers lists the non-HTTP functions served by the handler.
func (s *Server) allTriggers() []Trigger {
	return []Trigger{}
}
