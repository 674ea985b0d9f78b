<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ja_JP" sourcelanguage="en">
  <context>
    <name>kiosk</name>
    <message>
      <source>Please blink.</source>
      <translation>まばたきをしてください。</translation>
    </message>
    <message>
      <source>Turn your head slowly to the left.</source>
      <translation>ゆっくり左を向いてください。</translation>
    </message>
    <message>
      <source>Turn your head slowly to the right.</source>
      <translation>ゆっくり右を向いてください。</translation>
    </message>
    <message>
      <source>Nod slowly.</source>
      <translation>ゆっくりうなずいてください。</translation>
    </message>
    <message>
      <source>Look up slowly.</source>
      <translation>ゆっくり上を見てください。</translation>
    </message>
    <message>
      <source>Look down slowly.</source>
      <translation>ゆっくり下を見てください。</translation>
    </message>
    <message>
      <source>Come closer to the camera.</source>
      <translation>カメラに近づいてください。</translation>
    </message>
    <message>
      <source>Move back from the camera.</source>
      <translation>カメラから少し離れてください。</translation>
    </message>
    <message>
      <source>Please smile.</source>
      <translation>ほほえんでください。</translation>
    </message>
    <message>
      <source>Open your mouth.</source>
      <translation>口を開けてください。</translation>
    </message>
    <message>
      <source>Keep looking at the screen while it changes colour.</source>
      <translation>画面の色が変わる間、画面を見続けてください。</translation>
    </message>
    <message>
      <source>Follow the instruction on the screen.</source>
      <translation>画面の指示に従ってください。</translation>
    </message>
    <message>
      <source>Maintenance sign-in</source>
      <translation>保守サインイン</translation>
    </message>
    <message>
      <source>Back</source>
      <translation>戻る</translation>
    </message>
    <message>
      <source>Engineer tools need the engineer sign-in.</source>
      <translation>技術者ツールには技術者のサインインが必要です。</translation>
    </message>
    <message>
      <source>Engineer diagnostics</source>
      <translation>技術者向け診断</translation>
    </message>
    <message>
      <source>Maintenance</source>
      <translation>保守</translation>
    </message>
    <message>
      <source>Sign out</source>
      <translation>サインアウト</translation>
    </message>
    <message>
      <source>Close</source>
      <translation>閉じる</translation>
    </message>
    <message>
      <source>Sign-out in %1 s</source>
      <translation>あと%1秒で自動サインアウト</translation>
    </message>
    <message>
      <source>All checks</source>
      <translation>すべての診断</translation>
    </message>
    <message>
      <source>Reader and card</source>
      <translation>リーダーとカード</translation>
    </message>
    <message>
      <source>Camera</source>
      <translation>カメラ</translation>
    </message>
    <message>
      <source>Face self-test</source>
      <translation>顔照合の自己診断</translation>
    </message>
    <message>
      <source>Backend</source>
      <translation>サーバー</translation>
    </message>
    <message>
      <source>Logs</source>
      <translation>ログ</translation>
    </message>
    <message>
      <source>Configuration</source>
      <translation>設定</translation>
    </message>
    <message>
      <source>Versions</source>
      <translation>バージョン</translation>
    </message>
    <message>
      <source>Export report</source>
      <translation>レポート出力</translation>
    </message>
    <message>
      <source>Writing the report...</source>
      <translation>レポートを書き出しています…</translation>
    </message>
    <message>
      <source>Starting the camera...</source>
      <translation>カメラを起動しています…</translation>
    </message>
    <message>
      <source>Run again</source>
      <translation>もう一度実行</translation>
    </message>
    <message>
      <source>Checking... this can take up to a minute.</source>
      <translation>診断中です…最大1分ほどかかります。</translation>
    </message>
    <message>
      <source>Choose where to write the report (a USB stick is listed when it is mounted):</source>
      <translation>レポートの保存先を選んでください(USBメモリはマウントされると表示されます):</translation>
    </message>
    <message>
      <source>All</source>
      <translation>すべて</translation>
    </message>
    <message>
      <source>Warnings</source>
      <translation>警告以上</translation>
    </message>
    <message>
      <source>Errors</source>
      <translation>エラーのみ</translation>
    </message>
    <message>
      <source>No camera is configured.</source>
      <translation>カメラが設定されていません。</translation>
    </message>
    <message>
      <source>Choose a check</source>
      <translation>診断項目を選んでください</translation>
    </message>
    <message>
      <source>Face found</source>
      <translation>顔を検出しました</translation>
    </message>
    <message>
      <source>No face in view</source>
      <translation>顔が映っていません</translation>
    </message>
    <message>
      <source>Not permitted for this role.</source>
      <translation>この役割では実行できません。</translation>
    </message>
    <message>
      <source>Healthy</source>
      <translation>正常</translation>
    </message>
    <message>
      <source>Not healthy</source>
      <translation>異常あり</translation>
    </message>
    <message>
      <source>The camera cannot be used: %1</source>
      <translation>カメラを使用できません: %1</translation>
    </message>
    <message>
      <source>No log lines.</source>
      <translation>ログはありません。</translation>
    </message>
    <message>
      <source>Report written:</source>
      <translation>レポートを書き出しました:</translation>
    </message>
    <message>
      <source>That did not work: %1</source>
      <translation>実行できませんでした: %1</translation>
    </message>
    <message>
      <source>From: %1</source>
      <translation>読込元: %1</translation>
    </message>
    <message>
      <source>embedded defaults</source>
      <translation>既定値(設定ファイルなし)</translation>
    </message>
    <message>
      <source>%1 pixels, %2 frames/s, brightness %3, sharpness %4</source>
      <translation>%1 画素、毎秒%2コマ、明るさ %3、鮮明さ %4</translation>
    </message>
    <message>
      <source>Clear</source>
      <translation>消去</translation>
    </message>
    <message>
      <source>Sign in</source>
      <translation>サインイン</translation>
    </message>
    <message>
      <source>Store staff</source>
      <translation>店舗スタッフ</translation>
    </message>
    <message>
      <source>Field engineer</source>
      <translation>保守技術者</translation>
    </message>
    <message>
      <source>Enter the staff PIN</source>
      <translation>スタッフ用暗証番号を入力してください</translation>
    </message>
    <message>
      <source>Enter the engineer passphrase (a keyboard works too)</source>
      <translation>技術者用パスフレーズを入力してください(キーボードも使えます)</translation>
    </message>
    <message>
      <source>Sign-in is locked until an engineer resets it on the machine (kiosk reset-lockout).</source>
      <translation>技術者が本体でロックを解除する（kiosk reset-lockout）まで、サインインできません。</translation>
    </message>
    <message>
      <source>No credential is set for this role (kiosk set-credential).</source>
      <translation>この役割の認証情報が設定されていません(kiosk set-credential)。</translation>
    </message>
    <message>
      <source>Sign-in failed. Please try again.</source>
      <translation>サインインできませんでした。もう一度お試しください。</translation>
    </message>
    <message>
      <source>Wrong entry. Tries left before a lockout: %1</source>
      <translation>入力が違います。ロックまでの残り回数: %1</translation>
    </message>
    <message>
      <source>Too many wrong entries. Sign-in is locked for %1 more seconds.</source>
      <translation>入力の誤りが続いたため、あと%1秒間サインインできません。</translation>
    </message>
    <message>
      <source>Previous</source>
      <translation>前へ</translation>
    </message>
    <message>
      <source>Next</source>
      <translation>次へ</translation>
    </message>
    <message>
      <source>Not checked yet</source>
      <translation>未確認</translation>
    </message>
    <message>
      <source>OK</source>
      <translation>OK</translation>
    </message>
    <message>
      <source>Check</source>
      <translation>要確認</translation>
    </message>
    <message>
      <source>Fault</source>
      <translation>異常</translation>
    </message>
    <message>
      <source>Health at a glance</source>
      <translation>状態の一覧</translation>
    </message>
    <message>
      <source>Today's transactions</source>
      <translation>本日の利用件数</translation>
    </message>
    <message>
      <source>Reset the reader</source>
      <translation>リーダーをリセット</translation>
    </message>
    <message>
      <source>Restart the application</source>
      <translation>アプリを再起動</translation>
    </message>
    <message>
      <source>Engineer tools</source>
      <translation>技術者ツール</translation>
    </message>
    <message>
      <source>Please use the kiosk at the entrance.</source>
      <translation>入口の端末をご利用ください。</translation>
    </message>
    <message>
      <source>Under maintenance. Back soon.</source>
      <translation>保守作業中です。まもなく再開します。</translation>
    </message>
    <message>
      <source>Card reader</source>
      <translation>カードリーダー</translation>
    </message>
    <message>
      <source>Card</source>
      <translation>カード</translation>
    </message>
    <message>
      <source>Kiosk certificate</source>
      <translation>端末証明書</translation>
    </message>
    <message>
      <source>Completed</source>
      <translation>完了</translation>
    </message>
    <message>
      <source>Cancelled</source>
      <translation>中止</translation>
    </message>
    <message>
      <source>Timed out</source>
      <translation>時間切れ</translation>
    </message>
    <message>
      <source>Left before starting</source>
      <translation>開始前に終了</translation>
    </message>
    <message>
      <source>Face did not match</source>
      <translation>顔が一致せず</translation>
    </message>
    <message>
      <source>Start</source>
      <translation>始める</translation>
    </message>
    <message>
      <source>Before you start</source>
      <translation>始める前に</translation>
    </message>
    <message>
      <source>Place your card</source>
      <translation>カードを置いてください</translation>
    </message>
    <message>
      <source>Reading your card</source>
      <translation>カードを読み取っています</translation>
    </message>
    <message>
      <source>Enter your 4-digit PIN</source>
      <translation>4桁の暗証番号を入力してください</translation>
    </message>
    <message>
      <source>Unlock the photo on your card</source>
      <translation>カードの顔写真を読み出します</translation>
    </message>
    <message>
      <source>Face check</source>
      <translation>顔の確認</translation>
    </message>
    <message>
      <source>Choose a new signature PIN</source>
      <translation>新しい署名用暗証番号を決めてください</translation>
    </message>
    <message>
      <source>Setting your new PIN</source>
      <translation>新しい暗証番号を設定しています</translation>
    </message>
    <message>
      <source>Done</source>
      <translation>完了しました</translation>
    </message>
    <message>
      <source>The procedure could not be completed</source>
      <translation>手続きを完了できませんでした</translation>
    </message>
    <message>
      <source>Out of service</source>
      <translation>休止中</translation>
    </message>
    <message>
      <source>In service</source>
      <translation>稼働中</translation>
    </message>
    <message>
      <source>Put out of service</source>
      <translation>休止にする</translation>
    </message>
    <message>
      <source>Put back in service</source>
      <translation>稼働に戻す</translation>
    </message>
    <message>
      <source>None yet today</source>
      <translation>本日はまだありません</translation>
    </message>
    <message>
      <source>I am with the resident (answer the call)</source>
      <translation>お客様の所へ行きます（呼び出しに応答）</translation>
    </message>
    <message>
      <source>The reader was reset.</source>
      <translation>リーダーをリセットしました。</translation>
    </message>
    <message>
      <source>Restarting the application...</source>
      <translation>アプリを再起動しています…</translation>
    </message>
    <message>
      <source>Message for residents: %1</source>
      <translation>利用者へのお知らせ: %1</translation>
    </message>
    <message>
      <source>standard text</source>
      <translation>標準の文言</translation>
    </message>
    <message>
      <source>(%1 days left)</source>
      <translation>(残り%1日)</translation>
    </message>
    <message>
      <source>A resident asks for help (since %1, on the screen: %2). Go to the kiosk; do not look at or enter their PIN.</source>
      <translation>お客様が店員を呼んでいます（%1から、画面：%2）。キオスクへ行ってください。暗証番号を見たり入力したりしないでください。</translation>
    </message>
    <message>
      <source>server certificate trusted (%1, %2 ms)</source>
      <translation>サーバー証明書は信頼済み（%1、%2 ms）</translation>
    </message>
    <message>
      <source>%1 s</source>
      <translation>%1 秒</translation>
    </message>
    <message>
      <source>valid for %1 more day(s)</source>
      <translation>あと %1 日有効</translation>
    </message>
    <message>
      <source>connected in %1 ms</source>
      <translation>%1 ms で接続</translation>
    </message>
    <message>
      <source>the server sent no Date header</source>
      <translation>サーバーが Date ヘッダーを送っていません</translation>
    </message>
    <message>
      <source>this clock is %1 s behind; check NTP (timedatectl)</source>
      <translation>この機械の時計が %1 秒遅れています。NTP を確認してください（timedatectl）</translation>
    </message>
    <message>
      <source>this clock is %1 s ahead; check NTP (timedatectl)</source>
      <translation>この機械の時計が %1 秒進んでいます。NTP を確認してください（timedatectl）</translation>
    </message>
    <message>
      <source>the private key does not belong to the certificate</source>
      <translation>秘密鍵が証明書と対応していません</translation>
    </message>
    <message>
      <source>issued to %1, not to kiosk.id %2</source>
      <translation>%1 宛てに発行されています（kiosk.id %2 ではありません）</translation>
    </message>
    <message>
      <source>expired %1 day(s) ago</source>
      <translation>%1 日前に期限切れ</translation>
    </message>
    <message>
      <source>not valid yet (check the clock)</source>
      <translation>まだ有効になっていません（時計を確認してください）</translation>
    </message>
    <message>
      <source>expires in %1 day(s): renew it</source>
      <translation>あと %1 日で期限切れ：更新してください</translation>
    </message>
    <message>
      <source>kiosk certificate accepted, health answered in %1 ms</source>
      <translation>キオスク証明書は受理され、%1 ms で応答</translation>
    </message>
    <message>
      <source>health answered HTTP %1</source>
      <translation>ヘルスチェックの応答は HTTP %1</translation>
    </message>
    <message>
      <source>the server's Date header is unreadable</source>
      <translation>サーバーの Date ヘッダーが読めません</translation>
    </message>
    <message>
      <source>the kiosk certificate is not readable</source>
      <translation>キオスク証明書を読み込めません</translation>
    </message>
    <message>
      <source>the kiosk certificate is not PEM</source>
      <translation>キオスク証明書が PEM 形式ではありません</translation>
    </message>
    <message>
      <source>the private key is not readable</source>
      <translation>秘密鍵を読み込めません</translation>
    </message>
    <message>
      <source>the private key is not an unencrypted PEM key</source>
      <translation>秘密鍵が暗号化されていない PEM 鍵ではありません</translation>
    </message>
    <message>
      <source>%1 does not resolve</source>
      <translation>%1 の名前解決ができません</translation>
    </message>
    <message>
      <source>cannot connect to %1</source>
      <translation>%1 に接続できません</translation>
    </message>
    <message>
      <source>the CA file cannot be used</source>
      <translation>CA ファイルを使えません</translation>
    </message>
    <message>
      <source>the server's certificate is not trusted</source>
      <translation>サーバー証明書が信頼されていません</translation>
    </message>
    <message>
      <source>the TLS handshake failed</source>
      <translation>TLS ハンドシェイクに失敗しました</translation>
    </message>
    <message>
      <source>the server refused the kiosk certificate</source>
      <translation>サーバーがキオスク証明書を拒否しました</translation>
    </message>
    <message>
      <source>the kiosk certificate could not be offered (%1)</source>
      <translation>キオスク証明書を提示できませんでした（%1）</translation>
    </message>
    <message>
      <source>%1 resolves to %2</source>
      <translation>%1 → %2</translation>
    </message>
    <message>
      <source>%1x%2 at %3 frames/s</source>
      <translation>%1x%2、毎秒 %3 フレーム</translation>
    </message>
    <message>
      <source>the synthetic source is not available here</source>
      <translation>この環境では合成カメラを使えません</translation>
    </message>
    <message>
      <source>opened, but no frame came</source>
      <translation>開けましたが、映像が届きません</translation>
    </message>
    <message>
      <source>too dark: add light</source>
      <translation>暗すぎます：照明を足してください</translation>
    </message>
    <message>
      <source>too bright: avoid backlight</source>
      <translation>明るすぎます：逆光を避けてください</translation>
    </message>
    <message>
      <source>blurry: clean the lens or check the focus</source>
      <translation>ぼやけています：レンズを拭くか、ピントを確認してください</translation>
    </message>
    <message>
      <source>brightness and sharpness fine</source>
      <translation>明るさ・鮮明さとも良好</translation>
    </message>
    <message>
      <source>engine %1, match threshold %2, %3 liveness action(s)</source>
      <translation>エンジン %1、照合しきい値 %2、生体確認の動作 %3 回</translation>
    </message>
    <message>
      <source>sample accepted (score %1), still photo refused, %2 s</source>
      <translation>見本は合格（スコア %1）、静止画は拒否、%2 秒</translation>
    </message>
    <message>
      <source>the sample resident was not accepted</source>
      <translation>見本の顔が合格しませんでした</translation>
    </message>
    <message>
      <source>a still photo was accepted</source>
      <translation>静止画が合格してしまいました</translation>
    </message>
    <message>
      <source>the face pipeline is not installed</source>
      <translation>顔照合の部品がインストールされていません</translation>
    </message>
    <message>
      <source>face.thresholds_file: cannot be read (%1)</source>
      <translation>face.thresholds_file：読み込めません（%1）</translation>
    </message>
    <message>
      <source>face.thresholds_file: %1</source>
      <translation>face.thresholds_file：%1</translation>
    </message>
    <message>
      <source>not available in this build</source>
      <translation>この版では使えません</translation>
    </message>
    <message>
      <source>the face settings do not load (see face.settings)</source>
      <translation>顔照合の設定を読み込めません（face.settings を参照）</translation>
    </message>
    <message>
      <source>no reader is connected</source>
      <translation>カードリーダーが接続されていません</translation>
    </message>
    <message>
      <source>a card does not respond (wrong way round, dirty or broken)</source>
      <translation>カードが応答しません（向きが逆、汚れ、または故障）</translation>
    </message>
    <message>
      <source>pcscd is not reachable</source>
      <translation>pcscd に接続できません</translation>
    </message>
    <message>
      <source>the configured reader %1 is not connected</source>
      <translation>設定されたリーダー %1 が接続されていません</translation>
    </message>
    <message>
      <source>%1 reader(s)</source>
      <translation>リーダー %1 台</translation>
    </message>
    <message>
      <source>a card is on the reader</source>
      <translation>リーダーにカードがあります</translation>
    </message>
    <message>
      <source>no card (waiting for a resident)</source>
      <translation>カードなし（お客様待ち）</translation>
    </message>
    <message>
      <source>pcscd answers</source>
      <translation>pcscd は応答しています</translation>
    </message>
    <message>
      <source>no card on the reader (place a card to probe it)</source>
      <translation>リーダーにカードがありません（確認するにはカードを置いてください）</translation>
    </message>
    <message>
      <source>%1 My Number card(s) recognised</source>
      <translation>マイナンバーカード %1 枚を認識</translation>
    </message>
    <message>
      <source>did not finish within %1 s (a device or service hangs)</source>
      <translation>%1 秒以内に終わりませんでした（機器かサービスが止まっています）</translation>
    </message>
    <message>
      <source>the check itself failed</source>
      <translation>点検そのものが失敗しました</translation>
    </message>
    <message>
      <source>built-in defaults (no file)</source>
      <translation>組み込みの既定値（設定ファイルなし）</translation>
    </message>
    <message>
      <source>from %1</source>
      <translation>%1 から</translation>
    </message>
    <message>
      <source>kiosk %1, Python %2</source>
      <translation>kiosk %1、Python %2</translation>
    </message>
    <message>
      <source>writable, %1 MB free</source>
      <translation>書き込み可、空き %1 MB</translation>
    </message>
    <message>
      <source>in service</source>
      <translation>稼働中</translation>
    </message>
    <message>
      <source>kiosk %1; missing: %2</source>
      <translation>kiosk %1。不足：%2</translation>
    </message>
    <message>
      <source>%1 is not writable by this user</source>
      <translation>%1 にこのユーザーは書き込めません</translation>
    </message>
    <message>
      <source>only %1 MB free</source>
      <translation>空きが %1 MB しかありません</translation>
    </message>
    <message>
      <source>out of service (set by staff)</source>
      <translation>休止中（店員が設定）</translation>
    </message>
    <message>
      <source>in service; a maintenance credential is not set (kiosk set-credential)</source>
      <translation>稼働中。保守用の認証情報が未設定です（kiosk set-credential）</translation>
    </message>
    <message>
      <source>no log folder yet (%1)</source>
      <translation>ログフォルダーがまだありません（%1）</translation>
    </message>
    <message>
      <source>%1 cannot be created</source>
      <translation>%1 を作成できません</translation>
    </message>
    <message>
      <source>%1 error(s), %2 warning(s) in the recent log</source>
      <translation>最近のログにエラー %1 件、警告 %2 件</translation>
    </message>
    <message>
      <source>not checked yet</source>
      <translation>未点検</translation>
    </message>
    <message>
      <source>the private key is not an unencrypted PEM key or a TPM key file</source>
      <translation>秘密鍵が暗号化されていないPEM鍵でもTPM鍵ファイルでもありません</translation>
    </message>
    <message>
      <source>TPM 2.0 by %1</source>
      <translation>TPM 2.0(%1製)</translation>
    </message>
    <message>
      <source>the kiosk's keys are held by this TPM</source>
      <translation>キオスクの鍵はこのTPMが保持しています</translation>
    </message>
    <message>
      <source>the kiosk key is a file, not in a TPM (testbed only: a copied file is a copied kiosk)</source>
      <translation>キオスクの鍵がTPMではなくファイルです(テスト環境専用:ファイルを複製されるとキオスクが複製されます)</translation>
    </message>
    <message>
      <source>the PCRs differ from enrolment: the TPM will sign no evidence (firmware, boot loader or kernel changed; enrol again if intended)</source>
      <translation>PCRが登録時と異なります:TPMは証跡に署名しません(ファームウェア、ブートローダーまたはカーネルが変更されました。意図した変更なら再登録してください)</translation>
    </message>
    <message>
      <source>the PCRs are as at enrolment</source>
      <translation>PCRは登録時のままです</translation>
    </message>
    <message>
      <source>the backend accepted the TPM-held key</source>
      <translation>バックエンドがTPM内の鍵を受け入れました</translation>
    </message>
    <message>
      <source>the TPM cannot be reached</source>
      <translation>TPMに接続できません</translation>
    </message>
    <message>
      <source>the TPM cannot use the kiosk's keys</source>
      <translation>TPMがキオスクの鍵を使えません</translation>
    </message>
    <message>
      <source>no mutual TLS with the TPM-held key</source>
      <translation>TPM内の鍵で相互TLS接続できません</translation>
    </message>
    <message>
      <source>This machine resets the PIN of the signature certificate on your My Number card. Choose your language and press Start. You need your card and its 4-digit PIN for user authentication.</source>
      <translation>この機械では、マイナンバーカードの署名用電子証明書の暗証番号を再設定できます。言語を選んで「はじめる」を押してください。カードと、利用者証明用の4桁の暗証番号が必要です。</translation>
    </message>
    <message>
      <source>Read what you need and what happens. Press "I agree, continue" to go on, or "Back" to stop. Nothing is stored about you.</source>
      <translation>必要なものと手続きの流れをお読みください。進むときは「同意して進む」、やめるときは「戻る」を押してください。あなたの情報は保存されません。</translation>
    </message>
    <message>
      <source>Put your My Number card on the reader in front of you, photo side up. Leave it there until the machine tells you to take it.</source>
      <translation>マイナンバーカードを、写真のある面を上にして、手前の読み取り機に置いてください。取るように案内があるまで、置いたままにしてください。</translation>
    </message>
    <message>
      <source>The machine is reading your card. This takes a few seconds. Do not move the card.</source>
      <translation>カードを読み取っています。数秒かかります。カードを動かさないでください。</translation>
    </message>
    <message>
      <source>Enter the 4-digit PIN you chose for user authentication when the card was issued (the one you use to log in to Mynaportal). If it is wrong 3 times it is locked.</source>
      <translation>カードを受け取ったときに決めた、利用者証明用の4桁の暗証番号（マイナポータルのログインに使う番号）を入力してください。3回間違えるとロックされます。</translation>
    </message>
    <message>
      <source>The machine needs the photo stored in your card. Open it with the 4-digit PIN for text input, or with the numbers printed on the front of the card: hold the card to the camera or type them.</source>
      <translation>カードに記録された顔写真が必要です。券面事項入力補助用の4桁の暗証番号か、カードの表面に印字された番号で読み出します。番号はカードをカメラにかざすか、入力してください。</translation>
    </message>
    <message>
      <source>Look at the camera and follow the one instruction shown over the picture, for example blink or turn your head. Take off a mask, sunglasses or hat.</source>
      <translation>カメラを見て、映像の上に表示される指示（まばたき、顔を横に向けるなど）に一つずつ従ってください。マスク、サングラス、帽子は外してください。</translation>
    </message>
    <message>
      <source>Choose a new PIN for the signature certificate: 6 to 16 characters, capital letters A-Z and digits 0-9, with at least one of each. Enter it twice.</source>
      <translation>署名用電子証明書の新しい暗証番号を決めてください。英大文字（A〜Z）と数字（0〜9）を両方使って6〜16文字です。2回入力します。</translation>
    </message>
    <message>
      <source>The new PIN is being written to your card. Do not remove the card. This takes up to a minute.</source>
      <translation>新しい暗証番号をカードに書き込んでいます。カードを取らないでください。1分ほどかかることがあります。</translation>
    </message>
    <message>
      <source>Your new PIN is set. Take your card with you.</source>
      <translation>新しい暗証番号が設定されました。カードをお持ち帰りください。</translation>
    </message>
    <message>
      <source>The procedure stopped. The screen says why and what to do next. Take your card with you.</source>
      <translation>手続きが止まりました。理由と次にすることが画面に表示されています。カードをお持ち帰りください。</translation>
    </message>
    <message>
      <source>This machine cannot be used now. Please try again later or use another store.</source>
      <translation>現在この機械はご利用いただけません。時間をおいてお試しいただくか、別の店舗をご利用ください。</translation>
    </message>
    <message>
      <source>Follow the instructions on the screen.</source>
      <translation>画面の案内に従ってください。</translation>
    </message>
    <message>
      <source>Help</source>
      <translation>ヘルプ</translation>
    </message>
    <message>
      <source>Store staff can come to the machine, but they cannot see or enter your PIN and they do not see your personal data.</source>
      <translation>店員が機械のところへ来ますが、暗証番号を見たり入力したりすることはできず、あなたの個人情報も見ません。</translation>
    </message>
    <message>
      <source>Staff have been called. Please wait here.</source>
      <translation>店員を呼びました。この場でお待ちください。</translation>
    </message>
    <message>
      <source>Call staff</source>
      <translation>店員を呼ぶ</translation>
    </message>
    <message>
      <source>Back to the procedure</source>
      <translation>手続きに戻る</translation>
    </message>
    <message>
      <source>Do you need more time?</source>
      <translation>もう少し時間が必要ですか？</translation>
    </message>
    <message>
      <source>Touch the screen anywhere to continue. Otherwise the procedure ends and everything you entered is erased.</source>
      <translation>続けるには画面のどこかに触れてください。触れないと手続きが終了し、入力した内容はすべて消去されます。</translation>
    </message>
    <message>
      <source>Yes, I need more time</source>
      <translation>はい、続けます</translation>
    </message>
    <message>
      <source>%n s</source>
      <translation>%n 秒</translation>
    </message>
    <message>
      <source>Please wait…</source>
      <translation>しばらくお待ちください…</translation>
    </message>
    <message>
      <source>Checking the card</source>
      <translation>カードを確認しています</translation>
    </message>
    <message>
      <source>Asking the service centre</source>
      <translation>センターに問い合わせています</translation>
    </message>
    <message>
      <source>Writing the new PIN to the card</source>
      <translation>新しい暗証番号をカードに書き込んでいます</translation>
    </message>
    <message>
      <source>Confirming</source>
      <translation>結果を確認しています</translation>
    </message>
    <message>
      <source>Do not remove your card.</source>
      <translation>カードを取らないでください。</translation>
    </message>
    <message>
      <source>Your new signature PIN is set.</source>
      <translation>新しい署名用暗証番号を設定しました。</translation>
    </message>
    <message>
      <source>You can use it right away. Thank you.</source>
      <translation>すぐにお使いいただけます。ありがとうございました。</translation>
    </message>
    <message>
      <source>Sorry, this machine cannot be used at the moment.</source>
      <translation>申し訳ありません。ただいまこの端末はご利用いただけません。</translation>
    </message>
    <message>
      <source>Please try again later or use another store.</source>
      <translation>時間をおいて、または別の店舗でご利用ください。</translation>
    </message>
    <message>
      <source>The procedure has ended</source>
      <translation>手続きを終了しました</translation>
    </message>
    <message>
      <source>Take your card!</source>
      <translation>カードをお取りください!</translation>
    </message>
    <message>
      <source>Take your card.</source>
      <translation>カードをお取りください。</translation>
    </message>
    <message>
      <source>Code: %1</source>
      <translation>コード: %1</translation>
    </message>
    <message>
      <source>Look into the camera.</source>
      <translation>カメラを見てください。</translation>
    </message>
    <message>
      <source>Please come a little closer.</source>
      <translation>もう少し近づいてください。</translation>
    </message>
    <message>
      <source>Please move back a little.</source>
      <translation>少し離れてください。</translation>
    </message>
    <message>
      <source>Move so that your face is inside the oval.</source>
      <translation>顔が枠の中に入るように動いてください。</translation>
    </message>
    <message>
      <source>It is too dark. Face the light.</source>
      <translation>暗すぎます。明るい方を向いてください。</translation>
    </message>
    <message>
      <source>It is too bright. Step out of the glare.</source>
      <translation>明るすぎます。まぶしい光を避けてください。</translation>
    </message>
    <message>
      <source>Only one person in front of the camera, please.</source>
      <translation>カメラの前はお一人だけにしてください。</translation>
    </message>
    <message>
      <source>Look straight at the camera.</source>
      <translation>カメラを正面から見てください。</translation>
    </message>
    <message>
      <source>Hold still.</source>
      <translation>そのまま動かないでください。</translation>
    </message>
    <message>
      <source>Good. Hold still.</source>
      <translation>そのままでお待ちください。</translation>
    </message>
    <message>
      <source>That movement was not seen. Take your time: here is another one.</source>
      <translation>その動きを確認できませんでした。あわてずに、次の動きをお願いします。</translation>
    </message>
    <message>
      <source>Look at the camera with your face inside the oval. Please take off a mask, sunglasses or hat. Then do the one movement shown over the picture. Nothing is recorded.</source>
      <translation>顔が楕円の中に入るようにカメラを見てください。マスク、サングラス、帽子は外してください。映像の上に表示される動きを一つずつ行ってください。映像は記録されません。</translation>
    </message>
    <message>
      <source>Cancel</source>
      <translation>やめる</translation>
    </message>
    <message>
      <source>Try again</source>
      <translation>もう一度</translation>
    </message>
    <message>
      <source>Start the face check</source>
      <translation>顔の確認を始める</translation>
    </message>
    <message>
      <source>Attempts left: %n</source>
      <translation>残り %n 回</translation>
    </message>
    <message>
      <source>Your face could not be matched with the card photo.</source>
      <translation>お顔とカードの写真が一致しませんでした。</translation>
    </message>
    <message>
      <source>The movements asked for were not seen.</source>
      <translation>お願いした動きを確認できませんでした。</translation>
    </message>
    <message>
      <source>Use 6 to 16 capital letters and digits, mixed. Enter it twice. Keep it secret and do not write it on the card.</source>
      <translation>英大文字と数字を混ぜて6〜16文字。2回入力します。カードには書かないでください。</translation>
    </message>
    <message>
      <source>New PIN</source>
      <translation>新しい暗証番号</translation>
    </message>
    <message>
      <source>Once more</source>
      <translation>もう一度</translation>
    </message>
    <message>
      <source>Edit</source>
      <translation>入力</translation>
    </message>
    <message>
      <source>Clear all</source>
      <translation>すべて消す</translation>
    </message>
    <message>
      <source>Delete</source>
      <translation>1字消す</translation>
    </message>
    <message>
      <source>Set this PIN</source>
      <translation>この暗証番号にする</translation>
    </message>
    <message>
      <source>Hide</source>
      <translation>隠す</translation>
    </message>
    <message>
      <source>Show</source>
      <translation>表示</translation>
    </message>
    <message>
      <source>6 to 16 characters</source>
      <translation>6〜16文字</translation>
    </message>
    <message>
      <source>Only capital letters A-Z and digits 0-9</source>
      <translation>英大文字A〜Zと数字0〜9だけ</translation>
    </message>
    <message>
      <source>At least one letter</source>
      <translation>英字を1文字以上</translation>
    </message>
    <message>
      <source>At least one digit</source>
      <translation>数字を1文字以上</translation>
    </message>
    <message>
      <source>Both entries are the same</source>
      <translation>2回の入力が同じ</translation>
    </message>
    <message>
      <source>The PIN does not follow the rules.</source>
      <translation>暗証番号が条件に合っていません。</translation>
    </message>
    <message>
      <source>The two entries were different. Please enter it again.</source>
      <translation>2回の入力が違いました。もう一度入力してください。</translation>
    </message>
    <message>
      <source>1 try left</source>
      <translation>残り1回</translation>
    </message>
    <message>
      <source>%n tries left</source>
      <translation>残り%n回</translation>
    </message>
    <message>
      <source>The PIN for user authentication (利用者証明用電子証明書の暗証番号), 4 digits.</source>
      <translation>利用者証明用電子証明書の暗証番号(数字4桁)です。</translation>
    </message>
    <message>
      <source>This is your last try. If the PIN is wrong again, it will be locked and only the municipal office can unlock it.</source>
      <translation>次が最後の1回です。間違えるとロックされ、市区町村の窓口でしか解除できません。</translation>
    </message>
    <message>
      <source>I understand</source>
      <translation>理解しました</translation>
    </message>
    <message>
      <source>Checking the PIN…</source>
      <translation>暗証番号を確認しています…</translation>
    </message>
    <message>
      <source>Looking for the card…</source>
      <translation>カードを探しています…</translation>
    </message>
    <message>
      <source>That did not match. Please try again or choose another way.</source>
      <translation>一致しませんでした。もう一度入力するか、別の方法を選んでください。</translation>
    </message>
    <message>
      <source>Reading and checking the card's photo…</source>
      <translation>カードの顔写真を読み出して確認しています…</translation>
    </message>
    <message>
      <source>The face check compares you with the photo stored in the card. To read it, choose one of these ways. Many people use the same 4-digit number for both PINs.</source>
      <translation>顔の確認では、カードに記録された写真とお顔を比べます。写真を読み出す方法を選んでください。2つの4桁の暗証番号を同じ番号にしている方が多くいます。</translation>
    </message>
    <message>
      <source>The PIN for text input has only 1 try left. If it is wrong, it will be locked.</source>
      <translation>券面事項入力補助用暗証番号は残り1回です。間違えるとロックされます。</translation>
    </message>
    <message>
      <source>Use the same 4-digit PIN as before</source>
      <translation>さきほどと同じ4桁の暗証番号を使う</translation>
    </message>
    <message>
      <source>Enter the PIN for text input</source>
      <translation>券面事項入力補助用暗証番号を入力する</translation>
    </message>
    <message>
      <source>Type the numbers printed on the card</source>
      <translation>カードに印字された番号を入力する</translation>
    </message>
    <message>
      <source>照合番号B: birth date, expiry year and security code, 14 digits.</source>
      <translation>照合番号B:生年月日・有効期限の年・セキュリティコードの14桁です。</translation>
    </message>
    <message>
      <source>Type the 14 digits in this order:</source>
      <translation>次の順に14桁を入力してください。</translation>
    </message>
    <message>
      <source>① Birth date: year of the Japanese era, month, day (6 digits, e.g. Heisei 6 = 06)
② Expiry year of the card (4 digits)
③ Security code (4 digits)</source>
      <translation>① 生年月日:和暦の年・月・日(6桁、例:平成6年は06)
② カードの有効期限の西暦の年(4桁)
③ セキュリティコード(4桁)</translation>
    </message>
    <message>
      <source>Other ways</source>
      <translation>ほかの方法</translation>
    </message>
    <message>
      <source>Read the numbers with the camera</source>
      <translation>カメラで番号を読み取る</translation>
    </message>
    <message>
      <source>Hold the front of your card to the camera, inside the frame. Keep it flat and still.</source>
      <translation>カードの表面を、枠に合わせてカメラにかざしてください。傾けず、動かさないでください。</translation>
    </message>
    <message>
      <source>Type the numbers instead</source>
      <translation>番号を入力する</translation>
    </message>
    <message>
      <source>Is this what is printed on your card?</source>
      <translation>カードに印字されている内容と同じですか？</translation>
    </message>
    <message>
      <source>① Birth date</source>
      <translation>① 生年月日</translation>
    </message>
    <message>
      <source>② Expiry year of the card</source>
      <translation>② カードの有効期限の年</translation>
    </message>
    <message>
      <source>③ Security code</source>
      <translation>③ セキュリティコード</translation>
    </message>
    <message>
      <source>Yes, use these numbers</source>
      <translation>はい、この番号を使う</translation>
    </message>
    <message>
      <source>Read again</source>
      <translation>もう一度読み取る</translation>
    </message>
    <message>
      <source>Type them instead</source>
      <translation>入力する</translation>
    </message>
    <message>
      <source>Bring the card closer to the camera, until it fills the frame on the screen.</source>
      <translation>画面の枠いっぱいに映るまで、カードをカメラに近づけてください。</translation>
    </message>
    <message>
      <source>The numbers could not be read. Hold the card flat and still, away from reflections, or type them.</source>
      <translation>番号を読み取れませんでした。光が反射しないように、カードを平らにして動かさずにかざすか、番号を入力してください。</translation>
    </message>
    <message>
      <source>Please check the number of digits.</source>
      <translation>桁数を確認してください。</translation>
    </message>
    <message>
      <source>Good. Hold the card still while it is read.</source>
      <translation>その位置で大丈夫です。読み取るあいだ、カードを動かさずに持っていてください。</translation>
    </message>
    <message>
      <source>This way is locked. Please choose another way.</source>
      <translation>この方法はロックされています。別の方法を選んでください。</translation>
    </message>
    <message>
      <source>If your PIN for text input is different, this uses one of its tries.</source>
      <translation>券面事項入力補助用暗証番号が違う番号の場合は、入力できる回数が1回減ります。</translation>
    </message>
    <message>
      <source>券面事項入力補助用暗証番号, 4 digits.</source>
      <translation>券面事項入力補助用暗証番号(数字4桁)。</translation>
    </message>
    <message>
      <source>Enter the 4-digit PIN for text input (券面事項入力補助用暗証番号).</source>
      <translation>券面事項入力補助用暗証番号(数字4桁)を入力してください。</translation>
    </message>
    <message>
      <source>The PIN was not correct.</source>
      <translation>暗証番号が違います。</translation>
    </message>
    <message>
      <source>Enter exactly 4 digits.</source>
      <translation>数字4桁で入力してください。</translation>
    </message>
    <message>
      <source>Please confirm the warning first.</source>
      <translation>先に注意をご確認ください。</translation>
    </message>
    <message>
      <source>Reset the PIN of your signature certificate</source>
      <translation>署名用電子証明書の暗証番号の再設定</translation>
    </message>
    <message>
      <source>For My Number card holders who forgot or locked the 6 to 16 character PIN of the signature certificate.</source>
      <translation>署名用電子証明書の暗証番号(英数字6〜16文字)を忘れた方、ロックされた方の手続きです。</translation>
    </message>
    <message>
      <source>You need your My Number card and its 4-digit PIN for user authentication. It takes about 5 minutes.</source>
      <translation>マイナンバーカードと、利用者証明用の4桁の暗証番号が必要です。約5分かかります。</translation>
    </message>
    <message>
      <source>Language / 言語</source>
      <translation>言語 / Language</translation>
    </message>
    <message>
      <source>What you need</source>
      <translation>必要なもの</translation>
    </message>
    <message>
      <source>• Your My Number card
• The 4-digit PIN for user authentication
• The 4-digit PIN for text input, or the card itself to read its numbers</source>
      <translation>・マイナンバーカード
・利用者証明用電子証明書の暗証番号(4桁)
・券面事項入力補助用暗証番号(4桁)、またはカードに印字された番号</translation>
    </message>
    <message>
      <source>What happens</source>
      <translation>手続きの流れ</translation>
    </message>
    <message>
      <source>1. You enter your 4-digit PIN.
2. The camera checks that your face matches the photo on the card.
3. You choose a new signature PIN and the card is updated.</source>
      <translation>1. 4桁の暗証番号を入力します。
2. カメラでお顔とカードの写真が一致するか確認します。
3. 新しい署名用暗証番号を決めると、カードが更新されます。</translation>
    </message>
    <message>
      <source>Your face is compared with the card photo on this machine only. No image is stored or sent. The record keeps only the kind of check that was made.</source>
      <translation>お顔とカードの写真の照合はこの端末の中だけで行い、画像は保存も送信もしません。記録に残るのは確認の種類だけです。</translation>
    </message>
    <message>
      <source>I agree, continue</source>
      <translation>同意して進む</translation>
    </message>
    <message>
      <source>Place your My Number card on the reader, face up.</source>
      <translation>マイナンバーカードを表を上にして読み取り機に置いてください。</translation>
    </message>
    <message>
      <source>Leave it there until the end. We will tell you when to take it.</source>
      <translation>終わるまで置いたままにしてください。取るときはお知らせします。</translation>
    </message>
    <message>
      <source>Reading the card…</source>
      <translation>カードを読み取っています…</translation>
    </message>
    <message>
      <source>Please do not remove the card.</source>
      <translation>カードを取らないでください。</translation>
    </message>
    <message>
      <source>Signature PIN reset</source>
      <translation>署名用暗証番号の再設定</translation>
    </message>
    <message>
      <source>Change language</source>
      <translation>言語の切り替え</translation>
    </message>
    <message>
      <source>Help and staff call</source>
      <translation>ヘルプと店員の呼び出し</translation>
    </message>
    <message>
      <source>Normal text</source>
      <translation>標準の文字</translation>
    </message>
    <message>
      <source>Large text</source>
      <translation>大きな文字</translation>
    </message>
    <message>
      <source>Voice: on</source>
      <translation>音声：オン</translation>
    </message>
    <message>
      <source>Voice: off</source>
      <translation>音声：オフ</translation>
    </message>
    <message>
      <source>Accessible mode: on</source>
      <translation>サポートモード：オン</translation>
    </message>
    <message>
      <source>Accessible mode</source>
      <translation>サポートモード</translation>
    </message>
    <message>
      <source>%n s left</source>
      <translation>残り %n 秒</translation>
    </message>
    <message>
      <source>Step %1 / %2</source>
      <translation>ステップ %1 / %2</translation>
    </message>
  </context>
</TS>
