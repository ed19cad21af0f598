//! Hand-built histories for each checker: a violating one is caught, a legal one is not.
