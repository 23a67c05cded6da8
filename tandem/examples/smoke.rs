fn main() {
    for flavor in ["ct", "mt1", "mt2", "mt8"] {
        let rt = match flavor {
            "ct" => tandem::runtime::Builder::new_current_thread()
                .build()
                .unwrap(),
            "mt1" => tandem::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .build()
                .unwrap(),
            "mt2" => tandem::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .unwrap(),
            _ => tandem::runtime::Builder::new_multi_thread()
                .worker_threads(8)
                .build()
                .unwrap(),
        };
        let t = std::time::Instant::now();
        let n = rt.block_on(async {
            let mut hs = Vec::new();
            for i in 0..100_000u64 {
                hs.push(tandem::spawn(async move {
                    tandem::task::yield_now().await;
                    i
                }));
            }
            let mut s = 0;
            for h in hs {
                s += h.await.unwrap();
            }
            let b = tandem::task::spawn_blocking(|| 5).await.unwrap();
            s + b
        });
        println!("{flavor}: {n} in {:?}", t.elapsed());
    }
}
