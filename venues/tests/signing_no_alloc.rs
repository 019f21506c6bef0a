//! Signing with a keyed signer allocates nothing for the schemes with fixed inputs (alone in
//! this test binary so no other test's allocations are counted).

use mdbus_bus::CountingAllocator;
use mdbus_venues::{
    binance::sign::BinanceSigner, bybit::sign::BybitSigner, gate::sign::GateSigner, okx::sign::OkxSigner,
};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

#[test]
fn signing_allocates_nothing() {
    let (b, o, y, g) = (BinanceSigner::new("s"), OkxSigner::new("s"), BybitSigner::new("s"), GateSigner::new("s"));
    let q = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
    let before = CountingAllocator::thread_allocations();
    let mut total = 0;
    for _ in 0..1000 {
        total += b.sign(q, "").as_str().len();
        total += o.sign("2020-12-08T09:08:57.715Z", "POST", "/api/v5/trade/order", "{}").as_str().len();
        total += o.sign_ws_login("1538054050").as_str().len();
        total += y.sign("1658384314791", "key", "5000", q).as_str().len();
        total += g.sign("POST", "/api/v4/spot/orders", "", "{}", "1541993715").as_str().len();
    }
    assert_eq!(CountingAllocator::thread_allocations() - before, 0);
    assert_eq!(total, 1000 * (64 + 44 + 44 + 64 + 128));
}
