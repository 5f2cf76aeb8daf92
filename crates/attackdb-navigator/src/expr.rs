//! Score expressions for combining layers, as the Navigator evaluates them with math.js:
//! numbers, variables `a`, `b`, `c`... (one per layer), the operators `+ - * / % ^`, the
//! comparisons `==`, `!=`, `<`, `<=`, `>`, `>=` (giving 1 or 0), `and or xor not`,
//! `cond ? x : y`, parentheses and the functions `min`, `max`, `abs`, `round`, `floor`, `ceil`,
//! `sqrt`. Precedence is math.js's: `?:` lowest, then `or`, `xor`, `and`, comparisons, `+ -`,
//! `* / %`, unary `- + not`, `^` highest (right associative). The text is lower-cased first, as
//! the Navigator does.

use crate::problem::{Error, Result};

/// A parsed score expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    text: String,
    root: Node,
    variables: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Number(f64),
    Variable(String),
    Unary(char, Box<Node>),
    Not(Box<Node>),
    Binary(Op, Box<Node>, Box<Node>),
    Conditional(Box<Node>, Box<Node>, Box<Node>),
    Call(String, Vec<Node>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Xor,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(f64),
    Name(String),
    Symbol(&'static str),
}

const SYMBOLS: [&str; 17] = [
    "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", "^", "(", ")", "?", ":", ",",
];

const FUNCTIONS: [&str; 7] = ["min", "max", "abs", "round", "floor", "ceil", "sqrt"];

fn tokenize(text: &str) -> Result<Vec<Token>> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    'outer: while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            if i < chars.len() && chars[i] == 'e' {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    i = j;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let literal: String = chars[start..i].iter().collect();
            let value = literal
                .parse()
                .map_err(|_| Error::Expression(format!("`{literal}` is not a number")))?;
            tokens.push(Token::Number(value));
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(Token::Name(chars[start..i].iter().collect()));
            continue;
        }
        let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
        for symbol in SYMBOLS {
            if rest.starts_with(symbol) {
                tokens.push(Token::Symbol(symbol));
                i += symbol.len();
                continue 'outer;
            }
        }
        return Err(Error::Expression(format!(
            "unexpected `{c}` at character {}",
            i + 1
        )));
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    position: usize,
    variables: Vec<String>,
    depth: usize,
    max_depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn eat_symbol(&mut self, symbol: &str) -> bool {
        if matches!(self.peek(), Some(Token::Symbol(s)) if *s == symbol) {
            self.position += 1;
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some(Token::Name(n)) if n == word) {
            self.position += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, symbol: &str) -> Result<()> {
        if self.eat_symbol(symbol) {
            Ok(())
        } else {
            Err(Error::Expression(format!(
                "expected `{symbol}`, found {}",
                self.describe_next()
            )))
        }
    }

    fn describe_next(&self) -> String {
        match self.peek() {
            None => "the end".to_string(),
            Some(Token::Number(n)) => format!("`{n}`"),
            Some(Token::Name(n)) => format!("`{n}`"),
            Some(Token::Symbol(s)) => format!("`{s}`"),
        }
    }

    /// Goes one level deeper, refusing past the depth limit.
    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(Error::Expression(format!(
                "the expression nests deeper than {} levels (ATTACKDB_MAX_EXPR_DEPTH raises the limit, up to {})",
                self.max_depth,
                crate::Limits::EXPRESSION_DEPTH_CEILING
            )));
        }
        Ok(())
    }

    fn conditional(&mut self) -> Result<Node> {
        self.enter()?;
        let node = self.conditional_inner();
        self.depth -= 1;
        node
    }

    fn conditional_inner(&mut self) -> Result<Node> {
        let condition = self.or()?;
        if self.eat_symbol("?") {
            let yes = self.conditional()?;
            self.expect(":")?;
            let no = self.conditional()?;
            return Ok(Node::Conditional(
                Box::new(condition),
                Box::new(yes),
                Box::new(no),
            ));
        }
        Ok(condition)
    }

    fn or(&mut self) -> Result<Node> {
        let mut left = self.xor()?;
        while self.eat_word("or") {
            left = Node::Binary(Op::Or, Box::new(left), Box::new(self.xor()?));
        }
        Ok(left)
    }

    fn xor(&mut self) -> Result<Node> {
        let mut left = self.and()?;
        while self.eat_word("xor") {
            left = Node::Binary(Op::Xor, Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Node> {
        let mut left = self.comparison()?;
        while self.eat_word("and") {
            left = Node::Binary(Op::And, Box::new(left), Box::new(self.comparison()?));
        }
        Ok(left)
    }

    fn comparison(&mut self) -> Result<Node> {
        let mut left = self.additive()?;
        loop {
            let op = [
                ("==", Op::Eq),
                ("!=", Op::Ne),
                ("<=", Op::Le),
                (">=", Op::Ge),
                ("<", Op::Lt),
                (">", Op::Gt),
            ]
            .into_iter()
            .find(|(s, _)| self.eat_symbol(s));
            let Some((_, op)) = op else {
                return Ok(left);
            };
            left = Node::Binary(op, Box::new(left), Box::new(self.additive()?));
        }
    }

    fn additive(&mut self) -> Result<Node> {
        let mut left = self.multiplicative()?;
        loop {
            let op = if self.eat_symbol("+") {
                Op::Add
            } else if self.eat_symbol("-") {
                Op::Sub
            } else {
                return Ok(left);
            };
            left = Node::Binary(op, Box::new(left), Box::new(self.multiplicative()?));
        }
    }

    fn multiplicative(&mut self) -> Result<Node> {
        let mut left = self.unary()?;
        loop {
            let op = if self.eat_symbol("*") {
                Op::Mul
            } else if self.eat_symbol("/") {
                Op::Div
            } else if self.eat_symbol("%") || self.eat_word("mod") {
                Op::Mod
            } else {
                return Ok(left);
            };
            left = Node::Binary(op, Box::new(left), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Node> {
        self.enter()?;
        let node = self.unary_inner();
        self.depth -= 1;
        node
    }

    fn unary_inner(&mut self) -> Result<Node> {
        if self.eat_symbol("-") {
            return Ok(Node::Unary('-', Box::new(self.unary()?)));
        }
        if self.eat_symbol("+") {
            return Ok(Node::Unary('+', Box::new(self.unary()?)));
        }
        if self.eat_word("not") {
            return Ok(Node::Not(Box::new(self.unary()?)));
        }
        self.power()
    }

    fn power(&mut self) -> Result<Node> {
        let base = self.primary()?;
        if self.eat_symbol("^") {
            let exponent = self.unary()?;
            return Ok(Node::Binary(Op::Pow, Box::new(base), Box::new(exponent)));
        }
        Ok(base)
    }

    fn primary(&mut self) -> Result<Node> {
        let Some(token) = self.peek().cloned() else {
            return Err(Error::Expression(
                "unexpected end of expression".to_string(),
            ));
        };
        self.position += 1;
        match token {
            Token::Number(n) => Ok(Node::Number(n)),
            Token::Symbol("(") => {
                let inner = self.conditional()?;
                self.expect(")")?;
                Ok(inner)
            }
            Token::Name(name) if name == "true" => Ok(Node::Number(1.0)),
            Token::Name(name) if name == "false" => Ok(Node::Number(0.0)),
            Token::Name(name) if FUNCTIONS.contains(&name.as_str()) => {
                self.expect("(")?;
                let mut arguments = vec![self.conditional()?];
                while self.eat_symbol(",") {
                    arguments.push(self.conditional()?);
                }
                self.expect(")")?;
                let arity_ok = match name.as_str() {
                    "min" | "max" => !arguments.is_empty(),
                    _ => arguments.len() == 1,
                };
                if !arity_ok {
                    return Err(Error::Expression(format!(
                        "{name} takes one argument, given {}",
                        arguments.len()
                    )));
                }
                Ok(Node::Call(name, arguments))
            }
            Token::Name(name) => {
                if ["and", "or", "xor", "not", "mod"].contains(&name.as_str()) {
                    return Err(Error::Expression(format!("unexpected `{name}`")));
                }
                if !self.variables.contains(&name) {
                    self.variables.push(name.clone());
                }
                Ok(Node::Variable(name))
            }
            Token::Symbol(s) => Err(Error::Expression(format!("unexpected `{s}`"))),
        }
    }
}

fn truth(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

impl Expr {
    /// Parses `text` (lower-cased first).
    pub fn parse(text: &str) -> Result<Expr> {
        let text = text.to_lowercase();
        if text.trim().is_empty() {
            return Err(Error::Expression("empty expression".to_string()));
        }
        let tokens = tokenize(&text)?;
        let limits = crate::limits::limits();
        if tokens.len() > limits.max_expression_tokens {
            return Err(Error::Expression(format!(
                "the expression is longer than {} tokens (ATTACKDB_MAX_EXPR_TOKENS raises the limit, up to {})",
                limits.max_expression_tokens,
                crate::Limits::EXPRESSION_TOKENS_CEILING
            )));
        }
        let mut parser = Parser {
            tokens,
            position: 0,
            variables: Vec::new(),
            depth: 0,
            max_depth: limits.max_expression_depth,
        };
        let root = parser.conditional()?;
        if parser.position < parser.tokens.len() {
            return Err(Error::Expression(format!(
                "unexpected {} after the expression",
                parser.describe_next()
            )));
        }
        let mut variables = parser.variables;
        variables.sort();
        Ok(Expr {
            text: text.trim().to_string(),
            root,
            variables,
        })
    }

    /// The expression as given (lower-cased).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The variables the expression uses, sorted.
    pub fn variables(&self) -> &[String] {
        &self.variables
    }

    /// Evaluates with each variable's value from `scope`; comparisons and logic give 1 or 0.
    pub fn eval(&self, scope: &dyn Fn(&str) -> Option<f64>) -> Result<f64> {
        eval(&self.root, scope)
    }
}

fn eval(node: &Node, scope: &dyn Fn(&str) -> Option<f64>) -> Result<f64> {
    Ok(match node {
        Node::Number(n) => *n,
        Node::Variable(name) => scope(name).ok_or_else(|| {
            Error::Expression(format!(
                "unknown variable `{name}` (one letter per layer: a, b, c...)"
            ))
        })?,
        Node::Unary('-', inner) => -eval(inner, scope)?,
        Node::Unary(_, inner) => eval(inner, scope)?,
        Node::Not(inner) => truth(eval(inner, scope)? == 0.0),
        Node::Conditional(condition, yes, no) => {
            if eval(condition, scope)? != 0.0 {
                eval(yes, scope)?
            } else {
                eval(no, scope)?
            }
        }
        Node::Call(name, arguments) => {
            let values = arguments
                .iter()
                .map(|a| eval(a, scope))
                .collect::<Result<Vec<f64>>>()?;
            let first = values.first().copied().unwrap_or(f64::NAN);
            match name.as_str() {
                "min" => values.iter().copied().fold(f64::INFINITY, f64::min),
                "max" => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                "abs" => first.abs(),
                "round" => first.round(),
                "floor" => first.floor(),
                "ceil" => first.ceil(),
                _ => first.sqrt(),
            }
        }
        Node::Binary(op, left, right) => {
            let l = eval(left, scope)?;
            let r = eval(right, scope)?;
            match op {
                Op::Add => l + r,
                Op::Sub => l - r,
                Op::Mul => l * r,
                Op::Div => l / r,
                // math.js `mod` takes the sign of the divisor
                Op::Mod => {
                    if r == 0.0 {
                        l
                    } else {
                        l - r * (l / r).floor()
                    }
                }
                Op::Pow => l.powf(r),
                Op::Eq => truth(l == r),
                Op::Ne => truth(l != r),
                Op::Lt => truth(l < r),
                Op::Le => truth(l <= r),
                Op::Gt => truth(l > r),
                Op::Ge => truth(l >= r),
                Op::And => truth(l != 0.0 && r != 0.0),
                Op::Or => truth(l != 0.0 || r != 0.0),
                Op::Xor => truth((l != 0.0) != (r != 0.0)),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval_with(text: &str, a: f64, b: f64, c: f64) -> f64 {
        let expr = Expr::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        expr.eval(&|name| match name {
            "a" => Some(a),
            "b" => Some(b),
            "c" => Some(c),
            _ => None,
        })
        .unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn arithmetic_and_precedence() {
        assert_eq!(eval_with("a + b * c", 1.0, 2.0, 3.0), 7.0);
        assert_eq!(eval_with("(a + b) * c", 1.0, 2.0, 3.0), 9.0);
        assert_eq!(eval_with("a - b - c", 10.0, 2.0, 3.0), 5.0);
        assert_eq!(eval_with("a / b", 1.0, 4.0, 0.0), 0.25);
        assert_eq!(eval_with("-a ^ 2", 3.0, 0.0, 0.0), -9.0);
        assert_eq!(eval_with("2 ^ 3 ^ 2", 0.0, 0.0, 0.0), 512.0);
        assert_eq!(eval_with("-7 % 3", 0.0, 0.0, 0.0), 2.0);
        assert_eq!(eval_with("A + B", 1.0, 2.0, 0.0), 3.0);
        assert_eq!(eval_with("1.5e1 + .5", 0.0, 0.0, 0.0), 15.5);
    }

    #[test]
    fn comparisons_and_logic_give_one_or_zero() {
        assert_eq!(eval_with("a > b", 2.0, 1.0, 0.0), 1.0);
        assert_eq!(eval_with("a <= b", 2.0, 1.0, 0.0), 0.0);
        assert_eq!(eval_with("a == b", 2.0, 2.0, 0.0), 1.0);
        assert_eq!(eval_with("a != b", 2.0, 2.0, 0.0), 0.0);
        assert_eq!(eval_with("a > 0 and b > 0", 1.0, 0.0, 0.0), 0.0);
        assert_eq!(eval_with("a > 0 or b > 0", 1.0, 0.0, 0.0), 1.0);
        assert_eq!(eval_with("not a", 0.0, 0.0, 0.0), 1.0);
        assert_eq!(eval_with("a xor b", 1.0, 1.0, 0.0), 0.0);
        assert_eq!(eval_with("(a > 0) + (b > 0) + (c > 0)", 1.0, 5.0, 0.0), 2.0);
    }

    #[test]
    fn conditional_is_right_associative_and_lowest() {
        assert_eq!(eval_with("a > b ? a : b", 3.0, 5.0, 0.0), 5.0);
        assert_eq!(eval_with("a ? 1 : b ? 2 : 3", 0.0, 0.0, 0.0), 3.0);
        assert_eq!(eval_with("a ? 1 : b ? 2 : 3", 0.0, 1.0, 0.0), 2.0);
        assert_eq!(eval_with("max(a, b, c) - min(a, b)", 1.0, 2.0, 7.0), 6.0);
    }

    #[test]
    fn variables_are_listed() {
        let expr = Expr::parse("c + a*2").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(expr.variables(), ["a", "c"]);
    }

    /// Issue 16, finding 4: deep nesting used to overflow the stack.
    #[test]
    fn deep_and_long_expressions_are_errors_not_crashes() {
        for text in [
            format!("{}a{}", "(".repeat(5000), ")".repeat(5000)),
            format!("{}a", "not ".repeat(30_000)),
            format!("{}a", "a^".repeat(40_000)),
            format!("{}a", "a+".repeat(40_000)),
            format!("{}a{}", "abs(".repeat(10_000), ")".repeat(10_000)),
            format!("{}a", "-".repeat(100_000)),
        ] {
            assert!(Expr::parse(&text).is_err(), "{}", &text[..20]);
        }
        let nested = format!("{}a{}", "(".repeat(60), ")".repeat(60));
        assert!(Expr::parse(&nested).is_ok());
        let long = format!("{}a", "a+".repeat(450));
        let expr = Expr::parse(&long);
        assert!(expr.is_ok());
        if let Ok(expr) = expr {
            assert_eq!(expr.eval(&|_| Some(1.0)).ok(), Some(451.0));
        }
    }

    #[test]
    fn bad_expressions_are_errors() {
        for text in [
            "",
            "a +",
            "(a",
            "a b",
            "a $ b",
            "min()",
            "abs(a, b)",
            "a ? b",
            "and",
        ] {
            assert!(Expr::parse(text).is_err(), "{text} parsed");
        }
        let expr = Expr::parse("a + z").unwrap_or_else(|e| panic!("{e}"));
        assert!(expr.eval(&|n| (n == "a").then_some(1.0)).is_err());
    }
}
