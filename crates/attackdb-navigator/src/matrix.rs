//! stub
/// stub
pub struct Matrix;
/// stub
pub struct MatrixCell;
/// stub
pub struct MatrixColumn;
/// stub
pub struct MatrixOptions;
