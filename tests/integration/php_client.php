<?php
// php_client.php — a PHP program using the curl extension (php-curl).
//   php php_client.php exec URL CASE=REQUEST_FILE...   one curl_exec per case, echoes each body
//   php php_client.php callback URL CASE=FILE...       CURLOPT_WRITEFUNCTION closure, echoes bytes
//   php php_client.php multi URL CASE=FILE...          all at once with curl_multi_exec
//   php php_client.php get URL                         a non-LLM GET
$mode = $argv[1];
$url = $argv[2];
$pairs = array_slice($argv, 3);

function make($url, $case, $file) {
    $h = curl_init($url);
    curl_setopt($h, CURLOPT_POSTFIELDS, file_get_contents($file));
    curl_setopt($h, CURLOPT_HTTPHEADER, array(
        "Content-Type: application/json",
        "Authorization: Bearer sk-test-abc123",
        "X-Case: " . $case));
    return $h;
}

if ($mode === "get") {
    $h = curl_init($url);
    curl_setopt($h, CURLOPT_RETURNTRANSFER, true);
    $r = curl_exec($h);
    echo strlen($r), " bytes\n";
    exit(0);
}
$handles = array();
foreach ($pairs as $p) {
    list($case, $file) = explode("=", $p, 2);
    $h = make($url, $case, $file);
    if ($mode === "callback") {
        curl_setopt($h, CURLOPT_WRITEFUNCTION, function ($ch, $data) { echo $data; return strlen($data); });
    } else {
        curl_setopt($h, CURLOPT_RETURNTRANSFER, true);
    }
    $handles[] = $h;
}
if ($mode === "multi") {
    $m = curl_multi_init();
    foreach ($handles as $h) curl_multi_add_handle($m, $h);
    do {
        $st = curl_multi_exec($m, $running);
        if ($running) curl_multi_select($m, 1.0);
    } while ($running && $st == CURLM_OK);
    foreach ($handles as $h) {
        echo strlen(curl_multi_getcontent($h)), " bytes, status ", curl_getinfo($h, CURLINFO_RESPONSE_CODE), "\n";
        curl_multi_remove_handle($m, $h);
    }
    curl_multi_close($m);
    exit(0);
}
foreach ($handles as $h) {
    $r = curl_exec($h);
    if ($mode === "exec") echo $r, "\n";
    echo "status ", curl_getinfo($h, CURLINFO_RESPONSE_CODE), "\n";
}
exit(0);
