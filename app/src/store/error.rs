/// Errors from the data layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL (expected sqlite:… or postgres://…): {0}")]
    UnsupportedUrl(String),
    #[error("could not create the database directory {path}: {source}")]
    CreateDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("a record with the same {0} already exists")]
    Duplicate(&'static str),
    #[error("the database holds an invalid {what}: {value:?}")]
    Corrupt { what: &'static str, value: String },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("backup: {0}")]
    Backup(String),
}

impl StoreError {
    /// Maps a unique-constraint violation to [`StoreError::Duplicate`], anything else unchanged.
    pub fn on_unique(err: sqlx::Error, what: &'static str) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Duplicate(what),
            _ => Self::Database(err),
        }
    }
}
