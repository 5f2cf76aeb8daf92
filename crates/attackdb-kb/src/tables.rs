//! The flat tables a [`crate::Dataset`] is made of: strings packed in one buffer, sorted
//! string keys with their objects, and adjacency lists (CSR). Flat so that they are written to
//! and read back from the prebuilt index as a few byte copies, with no per-entry allocation.

/// Strings packed one after the other: string `i` ends at `ends[i]`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Strings {
    text: String,
    ends: Vec<u32>,
}

impl Strings {
    pub(crate) fn with_capacity(count: usize) -> Strings {
        Strings {
            text: String::new(),
            ends: Vec::with_capacity(count),
        }
    }

    pub(crate) fn push(&mut self, value: &str) {
        self.text.push_str(value);
        self.ends.push(self.text.len() as u32);
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// String `i` (empty when out of range).
    pub(crate) fn get(&self, i: usize) -> &str {
        let end = self.ends.get(i).map_or(0, |&e| e as usize);
        let start = match i.checked_sub(1) {
            Some(before) => self.ends.get(before).map_or(0, |&e| e as usize),
            None => 0,
        };
        self.text.get(start..end).unwrap_or_default()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    fn write(&self, out: &mut Writer) {
        out.bytes(self.text.as_bytes());
        out.u32s(&self.ends);
    }

    fn read(input: &mut Reader<'_>) -> Result<Strings, String> {
        let text = String::from_utf8(input.bytes()?.to_vec())
            .map_err(|_| "a string table is not UTF-8".to_string())?;
        let ends = input.u32s()?;
        let mut previous = 0;
        for &end in &ends {
            if end < previous || !text.is_char_boundary(end as usize) {
                return Err("a string table's bounds are out of order".to_string());
            }
            previous = end;
        }
        if previous as usize != text.len() {
            return Err("a string table's bounds do not cover its text".to_string());
        }
        Ok(Strings { text, ends })
    }
}

/// Adjacency lists: list `i` is `items[starts[i]..starts[i + 1]]`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Csr {
    starts: Vec<u32>,
    items: Vec<u32>,
}

impl Csr {
    /// The lists of `count` keys from (key, item) pairs; items keep their order per key.
    pub(crate) fn from_pairs(count: usize, pairs: &[(u32, u32)]) -> Csr {
        let mut starts = vec![0u32; count + 1];
        for &(key, _) in pairs {
            starts[key as usize + 1] += 1;
        }
        for i in 0..count {
            starts[i + 1] += starts[i];
        }
        let mut next = starts.clone();
        let mut items = vec![0u32; pairs.len()];
        for &(key, item) in pairs {
            let at = &mut next[key as usize];
            items[*at as usize] = item;
            *at += 1;
        }
        Csr { starts, items }
    }

    /// List `i` (empty when out of range).
    pub(crate) fn get(&self, i: usize) -> &[u32] {
        match (self.starts.get(i), self.starts.get(i + 1)) {
            (Some(&a), Some(&b)) => self.items.get(a as usize..b as usize).unwrap_or_default(),
            _ => &[],
        }
    }

    fn write(&self, out: &mut Writer) {
        out.u32s(&self.starts);
        out.u32s(&self.items);
    }

    /// Reads lists of `count` keys whose items are below `bound`.
    fn read(input: &mut Reader<'_>, count: usize, bound: usize) -> Result<Csr, String> {
        let starts = input.u32s()?;
        let items = input.u32s()?;
        let ordered = starts.first() == Some(&0)
            && starts.windows(2).all(|w| w[0] <= w[1])
            && starts.last().is_some_and(|&l| l as usize == items.len());
        if starts.len() != count + 1 || !ordered {
            return Err("an adjacency table's bounds are inconsistent".to_string());
        }
        check_below(&items, bound)?;
        Ok(Csr { starts, items })
    }
}

/// Sorted string keys, each with the objects it names (in bundle order).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Keyed {
    keys: Strings,
    ids: Csr,
}

impl Keyed {
    /// The table of (key, object) pairs.
    pub(crate) fn from_pairs(mut pairs: Vec<(String, u32)>) -> Keyed {
        pairs.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut keys = Strings::with_capacity(pairs.len());
        let mut grouped = Vec::with_capacity(pairs.len());
        for (key, id) in &pairs {
            if keys.len() == 0 || keys.get(keys.len() - 1) != key {
                keys.push(key);
            }
            grouped.push(((keys.len() - 1) as u32, *id));
        }
        let ids = Csr::from_pairs(keys.len(), &grouped);
        Keyed { keys, ids }
    }

    /// The objects named by `key`.
    pub(crate) fn get(&self, key: &str) -> &[u32] {
        let (mut low, mut high) = (0, self.keys.len());
        while low < high {
            let mid = low + (high - low) / 2;
            match self.keys.get(mid).cmp(key) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return self.ids.get(mid),
            }
        }
        &[]
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.keys.iter()
    }

    fn write(&self, out: &mut Writer) {
        self.keys.write(out);
        self.ids.write(out);
    }

    fn read(input: &mut Reader<'_>, bound: usize) -> Result<Keyed, String> {
        let keys = Strings::read(input)?;
        if keys.iter().zip(keys.iter().skip(1)).any(|(a, b)| a >= b) {
            return Err("a key table is not sorted".to_string());
        }
        let ids = Csr::read(input, keys.len(), bound)?;
        Ok(Keyed { keys, ids })
    }
}

fn check_below(values: &[u32], bound: usize) -> Result<(), String> {
    if values.iter().any(|&v| v as usize >= bound) {
        return Err("a table refers past the end of another".to_string());
    }
    Ok(())
}

/// Appends tables to a byte buffer: every part is its length (u32 LE) and its bytes.
#[derive(Default)]
pub(crate) struct Writer {
    pub(crate) out: Vec<u8>,
}

impl Writer {
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        self.out
            .extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        self.out.extend_from_slice(bytes);
    }

    pub(crate) fn u32s(&mut self, values: &[u32]) {
        self.out
            .extend_from_slice(&(values.len() as u32).to_le_bytes());
        for value in values {
            self.out.extend_from_slice(&value.to_le_bytes());
        }
    }

    pub(crate) fn strings(&mut self, strings: &Strings) {
        strings.write(self);
    }

    pub(crate) fn csr(&mut self, csr: &Csr) {
        csr.write(self);
    }

    pub(crate) fn keyed(&mut self, keyed: &Keyed) {
        keyed.write(self);
    }
}

/// Reads back what a [`Writer`] wrote; every read checks its bounds.
pub(crate) struct Reader<'a> {
    input: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Reader<'a> {
        Reader { input }
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], String> {
        if self.input.len() < len {
            return Err("the table section is cut short".to_string());
        }
        let (taken, rest) = self.input.split_at(len);
        self.input = rest;
        Ok(taken)
    }

    fn length(&mut self) -> Result<usize, String> {
        let bytes = self.take(4)?;
        Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize)
    }

    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], String> {
        let len = self.length()?;
        self.take(len)
    }

    pub(crate) fn u32s(&mut self) -> Result<Vec<u32>, String> {
        let len = self.length()?;
        let bytes = self.take(len.checked_mul(4).ok_or("a table is too long")?)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }

    /// A list of values, each below `bound`.
    pub(crate) fn u32s_below(&mut self, bound: usize) -> Result<Vec<u32>, String> {
        let values = self.u32s()?;
        check_below(&values, bound)?;
        Ok(values)
    }

    /// A list of `count` values, each below `bound`.
    pub(crate) fn u32s_of(&mut self, count: usize, bound: usize) -> Result<Vec<u32>, String> {
        let values = self.u32s_below(bound)?;
        if values.len() != count {
            return Err("a table has the wrong length".to_string());
        }
        Ok(values)
    }

    /// A list of `count` bytes.
    pub(crate) fn bytes_of(&mut self, count: usize) -> Result<Vec<u8>, String> {
        let bytes = self.bytes()?;
        if bytes.len() != count {
            return Err("a table has the wrong length".to_string());
        }
        Ok(bytes.to_vec())
    }

    /// `count` strings.
    pub(crate) fn strings_of(&mut self, count: usize) -> Result<Strings, String> {
        let strings = Strings::read(self)?;
        if strings.len() != count {
            return Err("a string table has the wrong length".to_string());
        }
        Ok(strings)
    }

    pub(crate) fn csr(&mut self, count: usize, bound: usize) -> Result<Csr, String> {
        Csr::read(self, count, bound)
    }

    pub(crate) fn keyed(&mut self, bound: usize) -> Result<Keyed, String> {
        Keyed::read(self, bound)
    }

    pub(crate) fn is_done(&self) -> bool {
        self.input.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_round_trip_and_answer() {
        let mut strings = Strings::default();
        for s in ["", "T1059", "Zürich", ""] {
            strings.push(s);
        }
        let keyed = Keyed::from_pairs(vec![
            ("b".to_string(), 3),
            ("a".to_string(), 2),
            ("b".to_string(), 1),
        ]);
        let csr = Csr::from_pairs(3, &[(2, 7), (0, 5), (2, 6)]);
        let mut out = Writer::default();
        out.strings(&strings);
        out.keyed(&keyed);
        out.csr(&csr);
        let mut input = Reader::new(&out.out);
        let strings = input.strings_of(4).unwrap();
        let keyed = input.keyed(4).unwrap();
        let csr = input.csr(3, 8).unwrap();
        assert!(input.is_done());
        assert_eq!(strings.get(2), "Zürich");
        assert_eq!(strings.get(3), "");
        assert_eq!(strings.get(9), "");
        assert_eq!(keyed.get("b"), [1, 3]);
        assert_eq!(keyed.get("a"), [2]);
        assert_eq!(keyed.get("c"), [] as [u32; 0]);
        assert_eq!(csr.get(2), [7, 6]);
        assert_eq!(csr.get(1), [] as [u32; 0]);
        assert_eq!(csr.get(0), [5]);
    }

    #[test]
    fn damaged_tables_are_refused() {
        let mut out = Writer::default();
        out.csr(&Csr::from_pairs(2, &[(0, 1), (1, 0)]));
        // An item past the bound.
        assert!(Reader::new(&out.out).csr(2, 1).is_err());
        // A cut buffer.
        assert!(Reader::new(&out.out[..out.out.len() - 1])
            .csr(2, 2)
            .is_err());
        let mut out = Writer::default();
        out.bytes(&[0xff, 0xfe]);
        out.u32s(&[2]);
        assert!(Reader::new(&out.out).strings_of(1).is_err());
    }

    #[test]
    fn finding_5_lengths_past_the_section_are_refused_before_any_allocation() {
        // Every length prefix claims 4 Gi entries of a few bytes each: checked against what the
        // section holds, never reserved.
        let huge = u32::MAX.to_le_bytes();
        assert!(Reader::new(&huge).bytes().is_err());
        assert!(Reader::new(&huge).u32s().is_err());
        assert!(Reader::new(&huge).strings_of(1).is_err());
        assert!(Reader::new(&huge).keyed(1).is_err());
        assert!(Reader::new(&huge).csr(1, 1).is_err());
    }
}
