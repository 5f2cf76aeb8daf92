//! stub
/// stub
pub struct Expr;
