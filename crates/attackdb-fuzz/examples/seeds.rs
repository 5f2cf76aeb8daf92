//! Writes the seeds of the `tables` and `index` fuzz targets (the small bundle's tables and its
//! prebuilt index) under the corpus folder given: `seeds CORPUS`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(corpus) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: seeds CORPUS_FOLDER");
        return ExitCode::from(2);
    };
    for (target, bytes) in [
        ("tables", attackdb_fuzz::small_tables()),
        ("index", attackdb_fuzz::small_index()),
    ] {
        let dir = corpus.join(target);
        if let Err(e) =
            std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join("seed"), bytes))
        {
            eprintln!(
                "cannot write the {target} seed under {}: {e}",
                corpus.display()
            );
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
