"""A minimal PEP 517 build backend for the segue bindings.

Pure Python, standard library only: builds a py3-none wheel of the `segue`
package. When SEGUE_LIBRARY names a built libsegue.so at build time, that
file is bundled as package data (segue/libsegue.so), where the bindings
look for it first after SEGUE_LIBRARY itself; the wheel is then tagged for
this platform.
"""
import base64
import hashlib
import io
import os
import sysconfig
import tarfile
import zipfile

NAME = "segue"
VERSION = "0.1.0"
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _metadata() -> str:
    with open(os.path.join(HERE, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    return (f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n"
            "Summary: Python bindings (ctypes) for the segue audio transcoding engine\n"
            "Requires-Python: >=3.9\nProvides-Extra: numpy\nProvides-Extra: dask\n"
            "Requires-Dist: numpy; extra == \"numpy\"\n"
            "Requires-Dist: distributed; extra == \"dask\"\n"
            "Requires-Dist: pandas; extra == \"dask\"\n"
            "Requires-Dist: fsspec; extra == \"dask\"\n"
            "Description-Content-Type: text/markdown\n\n" + readme)


def _package_files():
    pkg = os.path.join(HERE, NAME)
    for name in sorted(os.listdir(pkg)):
        if name.endswith((".py", ".typed")):
            yield f"{NAME}/{name}", os.path.join(pkg, name)
    lib = os.environ.get("SEGUE_LIBRARY")
    if lib and os.path.isfile(lib):
        yield f"{NAME}/libsegue.so", os.path.realpath(lib)


def _tag(bundled: bool) -> str:
    if not bundled:
        return "py3-none-any"
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"py3-none-{plat}"


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    files = list(_package_files())
    bundled = any(arc.endswith(".so") for arc, _p in files)
    tag = _tag(bundled)
    dist_info = f"{NAME}-{VERSION}.dist-info"
    wheel_name = f"{NAME}-{VERSION}-{tag}.whl"
    records = []
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w",
                         zipfile.ZIP_DEFLATED) as z:
        def add(arc: str, data: bytes, mode: int = 0o644) -> None:
            info = zipfile.ZipInfo(arc, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (mode | 0o100000) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
            records.append(_record_line(arc, data))

        for arc, path in files:
            with open(path, "rb") as f:
                add(arc, f.read(), 0o755 if arc.endswith(".so") else 0o644)
        add(f"{dist_info}/METADATA", _metadata().encode())
        add(f"{dist_info}/WHEEL", (f"Wheel-Version: 1.0\nGenerator: segue_build\n"
                                   f"Root-Is-Purelib: {'false' if bundled else 'true'}\n"
                                   f"Tag: {tag}\n").encode())
        add(f"{dist_info}/top_level.txt", f"{NAME}\n".encode())
        records.append(f"{dist_info}/RECORD,,")
        z.writestr(f"{dist_info}/RECORD", "\n".join(records) + "\n")
    return wheel_name


def build_sdist(sdist_directory, config_settings=None):
    base = f"{NAME}-{VERSION}"
    name = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as tar:
        for rel in ["pyproject.toml", "README.md", "_build/segue_build.py"] + \
                [arc for arc, _p in _package_files() if not arc.endswith(".so")]:
            tar.add(os.path.join(HERE, rel), arcname=f"{base}/{rel}")
        pkg_info = _metadata().encode()
        ti = tarfile.TarInfo(f"{base}/PKG-INFO")
        ti.size = len(pkg_info)
        tar.addfile(ti, io.BytesIO(pkg_info))
    return name
