//! Drops a test database through a client of its own (tests and benchmarks
//! that write to MongoDB clean up after themselves with it).

/// Drops database `name` on the server at `uri`.
pub fn drop_database(uri: &str, name: &str) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("a runtime: {e}"))?;
    runtime.block_on(async {
        let client = mongodb::Client::with_uri_str(uri)
            .await
            .map_err(|e| format!("a client: {e}"))?;
        client
            .database(name)
            .drop()
            .await
            .map_err(|e| format!("drop database {name}: {e}"))
    })
}
